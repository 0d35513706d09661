using System.IO.Pipelines;

namespace Davecast.Edge.Outputs.Icecast;

/// <summary>A listener reached through a pipe (ASP.NET Core's response body): each send is a flush, which waits for room.</summary>
public sealed class PipeListenerOutput(PipeWriter writer) : ListenerOutput
{
    private bool _unsent;

    public override Span<byte> GetSpan(int sizeHint = 0) => writer.GetSpan(sizeHint);

    public override Memory<byte> GetMemory(int sizeHint = 0) => writer.GetMemory(sizeHint);

    public override void Advance(int count)
    {
        writer.Advance(count);
        _unsent = true;
    }

    public override bool HasUnsent => _unsent;

    public override async ValueTask<ListenerSend> SendAsync()
    {
        _unsent = false;
        var flushed = await writer.FlushAsync();
        return flushed.IsCompleted || flushed.IsCanceled ? ListenerSend.Closed : ListenerSend.Sent;
    }

    public override void CancelSend() => writer.CancelPendingFlush();
}
