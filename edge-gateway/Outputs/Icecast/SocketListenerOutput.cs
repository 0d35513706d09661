using System.Buffers;
using System.Net.Sockets;

namespace Davecast.Edge.Outputs.Icecast;

/// <summary>
/// A listener's socket written by the edge itself, not through Kestrel's output pipe: what a wake gathers is sent with
/// one non-blocking send from a pooled buffer, on the thread that gathered it. No pipe block, flush or send operation
/// per wake, and no send ever waits: what the socket does not take stays here (in the pooled buffer, the only time a
/// listener holds one) and goes first at the next wake, so a listener that stopped reading takes no more of the
/// stream and is dropped by the queue limit.
/// </summary>
public sealed class SocketListenerOutput : ListenerOutput
{
    private readonly Socket _socket;
    private byte[]? _buffer;
    private int _start, _end;

    /// <param name="socket">The connection's socket, which nothing else writes to from now on.</param>
    /// <param name="sendBufferSize">Its kernel send buffer.</param>
    public SocketListenerOutput(Socket socket, int sendBufferSize)
    {
        _socket = socket;
        socket.SendBufferSize = sendBufferSize;
        // Sends return what the kernel took at once; Kestrel's own receives are asynchronous and do not mind.
        socket.Blocking = false;
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => Room(sizeHint).Span;

    public override Memory<byte> GetMemory(int sizeHint = 0) => Room(sizeHint);

    public override void Advance(int count) => _end += count;

    public override bool HasUnsent => _end > _start;

    public override ValueTask<ListenerSend> SendAsync() => new(Send());

    /// <summary>Sends what was written without waiting; what the socket did not take stays for the next send.</summary>
    public ListenerSend Send()
    {
        while (_start < _end)
        {
            int n;
            SocketError error;
            try
            {
                n = _socket.Send(_buffer.AsSpan(_start, _end - _start), SocketFlags.None, out error);
            }
            catch (ObjectDisposedException)
            {
                return ListenerSend.Closed;
            }
            if (error == SocketError.WouldBlock) return ListenerSend.Blocked;
            if (error != SocketError.Success) return ListenerSend.Closed;
            _start += n;
        }
        Release();
        return ListenerSend.Sent;
    }

    // Nothing waits in a send: the session's end wakes the stream's wait, which is all there is to end.
    public override void CancelSend()
    {
    }

    public override void Release()
    {
        if (_buffer is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
        _buffer = null;
        _start = _end = 0;
    }

    private Memory<byte> Room(int sizeHint)
    {
        int wanted = Math.Max(sizeHint, 1);
        if (_buffer is null) _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(wanted, ListenerEndpoint.FlushBytes));
        else if (_buffer.Length - _end < wanted)
        {
            int unsent = _end - _start;
            var buffer = _buffer.Length - unsent >= wanted ? _buffer : ArrayPool<byte>.Shared.Rent(unsent + Math.Max(wanted, ListenerEndpoint.FlushBytes));
            _buffer.AsSpan(_start, unsent).CopyTo(buffer);
            if (buffer != _buffer) ArrayPool<byte>.Shared.Return(_buffer);
            (_buffer, _start, _end) = (buffer, 0, unsent);
        }
        return _buffer.AsMemory(_end);
    }
}
