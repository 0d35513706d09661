using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Davecast.Bench.Listen;

public enum ListenerState : byte
{
    Connecting,
    Streaming,
    /// <summary>The server answered something other than 200.</summary>
    Refused,
    /// <summary>The connection could not be made, or the answer never came.</summary>
    Failed,
    /// <summary>The server closed or reset the connection while we were listening.</summary>
    Dropped,
    /// <summary>We stopped listening.</summary>
    Stopped,
}

/// <summary>
/// One HTTP listener on a raw socket: <c>GET /mount HTTP/1.0</c>, the answer's head, then the audio. Either it reads
/// by itself (<see cref="RunAsync"/>: waits with a zero-byte receive, through epoll, then drains what the kernel holds;
/// with a <see cref="Ticker"/> at most once a tick), or a <see cref="Sweeper"/> drains it with many others.
/// </summary>
public sealed class Listener(IPEndPoint server, string mount, FrameCheck? check = null, Action<int, long>? onFrame = null)
{
    public const int ReadBufferSize = 64 * 1024;
    public const int SocketReceiveBuffer = 256 * 1024;

    public string Mount { get; } = mount;

    public ListenerState State { get; private set; }

    public string? Error { get; private set; }

    public int Status { get; private set; }

    public long AudioBytes { get; private set; }

    /// <summary>Stopwatch timestamps: connect started, first audio byte.</summary>
    public long StartedAt { get; private set; }

    public long FirstAudioAt { get; private set; }

    public FrameCheck? Check { get; } = check;

    public TimeSpan? TimeToFirstAudio => FirstAudioAt == 0 ? null : Stopwatch.GetElapsedTime(StartedAt, FirstAudioAt);

    private Socket? _socket;

    /// <summary>
    /// Connects, asks for the mount and reads the answer's head (and any audio that came with it). True when the
    /// server answered 200; the listener is then <see cref="ListenerState.Streaming"/> and keeps its socket open.
    /// </summary>
    public async Task<bool> OpenAsync(CancellationToken ct)
    {
        StartedAt = Stopwatch.GetTimestamp();
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.ReceiveBufferSize = SocketReceiveBuffer;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            await socket.ConnectAsync(server, timeout.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes(
                $"GET /{Mount} HTTP/1.0\r\nHost: {server}\r\nUser-Agent: davecast-bench\r\nAccept: */*\r\n\r\n"), timeout.Token);
            if (await ReadHeadAsync(socket, timeout.Token))
            {
                _socket = socket;
                return true;
            }
        }
        catch (OperationCanceledException)
        {
            State = ListenerState.Failed;
            Error = ct.IsCancellationRequested ? "stopped before streaming" : "timed out before the answer";
        }
        catch (SocketException e)
        {
            State = ListenerState.Failed;
            Error = e.SocketErrorCode.ToString();
        }
        socket.Dispose();
        return false;
    }

    /// <summary>Connects, then reads until <paramref name="ct"/> fires or the server ends the stream.</summary>
    /// <param name="stopAfterFirstAudio">Leave as soon as audio starts (time-to-first-byte probes).</param>
    public async Task RunAsync(CancellationToken ct, Ticker? ticker = null, bool stopAfterFirstAudio = false)
    {
        if (!await OpenAsync(ct)) return;
        var socket = _socket!;
        try
        {
            if (stopAfterFirstAudio && FirstAudioAt != 0)
            {
                State = ListenerState.Stopped;
                return;
            }
            socket.Blocking = false;
            var buffer = new byte[ReadBufferSize];
            while (!ct.IsCancellationRequested)
            {
                // Wait for data without holding a buffer.
                await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, ct);
                if (ticker is not null) await ticker.NextAsync();
                if (!Drain(socket, buffer))
                {
                    State = ListenerState.Dropped;
                    Error ??= "server closed the stream";
                    return;
                }
                if (stopAfterFirstAudio && FirstAudioAt != 0) break;
            }
            State = ListenerState.Stopped;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            State = ListenerState.Stopped;
        }
        catch (SocketException e)
        {
            State = ListenerState.Dropped;
            Error = e.SocketErrorCode.ToString();
        }
        finally
        {
            Close();
        }
    }

    /// <summary>
    /// Takes everything the kernel holds for this listener now, without waiting (for a <see cref="Sweeper"/>). False
    /// once the server has ended the stream (the listener is then <see cref="ListenerState.Dropped"/> and closed).
    /// </summary>
    public bool Sweep(byte[] buffer)
    {
        if (_socket is not { } socket || State != ListenerState.Streaming) return false;
        if (Drain(socket, buffer)) return true;
        State = ListenerState.Dropped;
        Error ??= "server closed the stream";
        Close();
        return false;
    }

    /// <summary>Stops listening (a listener still streaming is then <see cref="ListenerState.Stopped"/>).</summary>
    public void Close()
    {
        if (State == ListenerState.Streaming) State = ListenerState.Stopped;
        _socket?.Dispose();
        _socket = null;
    }

    // Reads until the whole answer head is in; what follows it is audio. False when not 200.
    private async Task<bool> ReadHeadAsync(Socket socket, CancellationToken ct)
    {
        var head = new byte[16 * 1024];
        int length = 0;
        while (true)
        {
            int n = await socket.ReceiveAsync(head.AsMemory(length), SocketFlags.None, ct);
            if (n == 0)
            {
                State = ListenerState.Failed;
                Error = "closed before the answer";
                return false;
            }
            long at = Stopwatch.GetTimestamp();
            length += n;
            int end = head.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                if (length == head.Length)
                {
                    State = ListenerState.Failed;
                    Error = "answer head too long";
                    return false;
                }
                continue;
            }
            var statusLine = Encoding.ASCII.GetString(head, 0, Math.Max(0, head.AsSpan(0, length).IndexOf("\r\n"u8)));
            var parts = statusLine.Split(' ', 3);
            Status = parts.Length > 1 && int.TryParse(parts[1], out int s) ? s : 0;
            if (Status != 200)
            {
                State = ListenerState.Refused;
                Error = statusLine;
                return false;
            }
            State = ListenerState.Streaming;
            int body = end + 4;
            if (length > body) Audio(head.AsSpan(body, length - body), at);
            return true;
        }
    }

    // Takes everything the kernel holds now; false when the server ended the stream.
    private bool Drain(Socket socket, byte[] buffer)
    {
        if (socket.Blocking) socket.Blocking = false;
        while (true)
        {
            int n = socket.Receive(buffer, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock) return true;
            if (error != SocketError.Success)
            {
                Error = error.ToString();
                return false;
            }
            if (n == 0) return false;
            Audio(buffer.AsSpan(0, n), Stopwatch.GetTimestamp());
            if (n < buffer.Length) return true;
        }
    }

    private void Audio(ReadOnlySpan<byte> data, long at)
    {
        if (FirstAudioAt == 0) FirstAudioAt = at;
        AudioBytes += data.Length;
        if (Check is null) return;
        if (onFrame is null) Check.Add(data);
        else Check.Add(data, index => onFrame(index, at));
    }
}

/// <summary>A shared clock tick that many listeners await: completes every <c>period</c>, for all of them at once.</summary>
public sealed class Ticker : IDisposable
{
    private readonly Timer _timer;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Ticker(TimeSpan period)
    {
        _timer = new Timer(_ => Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(),
            null, period, period);
    }

    /// <summary>The next tick (also when the ticker is disposed). Listeners are cancelled by their receive, not here.</summary>
    public Task NextAsync() => Volatile.Read(ref _next).Task;

    public void Dispose()
    {
        _timer.Dispose();
        _next.TrySetResult();
    }
}
