using Davecast.Publisher;
using Davecast.Wire;
using Xunit.Abstractions;

namespace Davecast.Tests.Publisher;

/// <summary>The publisher run in-process with a live source, until the test stops it; what it sends is decoded by the helpers.</summary>
internal sealed class RunningPublisher : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
    private readonly Task<int> _run;

    private RunningPublisher(TestLogging logging, ITestOutputHelper output, string[] args)
    {
        _run = Task.Run(async () =>
        {
            using var factory = logging.Factory();
            var outText = new StringWriter();
            var errorText = new StringWriter();
            int code = await PublisherApp.RunAsync([.. args, "--stats-interval", "0"], factory, outText, errorText, "Development", _stop.Token);
            output.WriteLine($"exit {code}; stdout: {outText}; stderr: {errorText}");
            return code;
        });
    }

    public static RunningPublisher Start(TestLogging logging, ITestOutputHelper output, params string[] args) => new(logging, output, args);

    public bool HasExited => _run.IsCompleted;

    /// <summary>Stops it as SIGTERM does; its exit code.</summary>
    public async Task<int> StopAsync()
    {
        _stop.Cancel();
        return await _run.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted) await StopAsync();
        _stop.Dispose();
    }

    public static List<WirePacket.Decoded> Audio(IEnumerable<WirePacket> packets) =>
        packets.Select(p => p.Packet).Where(p => p.Type == PacketType.Audio).ToList();

    /// <summary>Each title sent, with the sequence it applies from, once (Metadata packets repeat them).</summary>
    public static List<TitleUpdate> Titles(IEnumerable<WirePacket> packets) =>
        packets.Select(p => p.Packet).Where(p => p.Type == PacketType.Metadata)
            .Select(p => TitleUpdate.TryDecode(p.Payload, out var update) ? update! : throw new InvalidDataException("bad Metadata payload"))
            .Distinct().ToList();

    public static Announce LastAnnounce(IEnumerable<WirePacket> packets) =>
        Announce.TryDecode(packets.Select(p => p.Packet).Last(p => p.Type == PacketType.Announce).Payload, out var announce)
            ? announce!
            : throw new InvalidDataException("bad Announce payload");
}
