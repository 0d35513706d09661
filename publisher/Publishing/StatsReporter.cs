using System.Globalization;
using System.Text;
using Davecast.Publisher.Paths;
using Microsoft.Extensions.Logging;

namespace Davecast.Publisher.Publishing;

/// <summary>One log line every interval: frames sent and, per path, packets, bytes, drops and reconnects.</summary>
public sealed class StatsReporter(SendPosition position, IReadOnlyList<IPacketPath> paths, ILogger logger)
{
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        if (interval <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken)) Log("Stats");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public void Log(string what)
    {
        long bytes = 0;
        var perPath = new StringBuilder();
        foreach (var path in paths)
        {
            var s = path.Stats;
            bytes += s.Bytes;
            if (perPath.Length > 0) perPath.Append("; ");
            perPath.Append(CultureInfo.InvariantCulture, $"{path.PathId} {path.Name}: {s.Packets} packets, {s.Dropped} dropped");
            if (path is TcpPath tcp)
                perPath.Append(CultureInfo.InvariantCulture, $", {s.Reconnects} reconnects, {tcp.QueueLength} queued{(tcp.IsConnected ? "" : ", disconnected")}");
        }
        logger.LogInformation("{What}: {Frames} frames sent, {Bytes} bytes on all paths; paths: {Paths}", what, position.FramesSent, bytes, perPath.ToString());
    }
}
