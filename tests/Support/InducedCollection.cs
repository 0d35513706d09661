using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;

namespace Davecast.Tests.Support;

/// <summary>
/// Makes another .NET process run a full blocking garbage collection now, from outside, as dotnet-gcdump does: an
/// EventPipe session on the runtime's diagnostics port that enables the runtime provider's GCHeapCollect keyword. The
/// runtime collects inside the enabling, on its diagnostics thread, which answers the session's stop only after it: when
/// <see cref="RunAsync"/> returns, the collection is over.
/// </summary>
public static class InducedCollection
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";

    /// <summary>The keyword that asks the runtime for a full collection (GCHeapCollect).</summary>
    private const long GcHeapCollectKeyword = 0x800000;

    /// <summary>Collects in process <paramref name="pid"/>; throws if it has no diagnostics port (not .NET, or gone).</summary>
    public static async Task RunAsync(int pid, CancellationToken cancel = default)
    {
        var client = new DiagnosticsClient(pid);
        var provider = new EventPipeProvider(RuntimeProvider, EventLevel.Informational, GcHeapCollectKeyword);
        using var session = await client.StartEventPipeSessionAsync([provider], requestRundown: false, circularBufferMB: 1, cancel);
        // The session's few events are read and dropped, so that the runtime never waits on a full socket.
        var drain = session.EventStream.CopyToAsync(Stream.Null, cancel);
        await session.StopAsync(cancel);
        await drain;
    }
}
