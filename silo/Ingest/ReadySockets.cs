using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Davecast.Silo.Ingest;

/// <summary>
/// Which of many sockets have something to read, asked with one system call: on Linux (x64) an epoll set, so a sweep
/// over thousands of publisher connections reads only those with data instead of trying each one. Elsewhere every
/// socket counts as ready. Not thread-safe.
/// </summary>
internal sealed unsafe partial class ReadySockets<T> : IDisposable where T : class
{
    private const int EpollIn = 0x1, EpollRdHup = 0x2000, CtlAdd = 1, CtlDel = 2, EIntr = 4, MaxEvents = 1024;

    private readonly int _epoll = -1;
    private readonly Epoll.EpollEvent* _events;
    private readonly Dictionary<ulong, T> _byId = [];
    private readonly Dictionary<T, (Socket Socket, ulong Id)> _members = new(ReferenceEqualityComparer.Instance);
    private ulong _nextId;

    public ReadySockets()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return;
        _epoll = Epoll.EpollCreate1(0);
        if (_epoll < 0) throw new SocketException(Marshal.GetLastPInvokeError());
        _events = (Epoll.EpollEvent*)NativeMemory.Alloc(MaxEvents, (nuint)sizeof(Epoll.EpollEvent));
    }

    public int Count => _members.Count;

    public void Add(Socket socket, T item)
    {
        ulong id = ++_nextId;
        if (_epoll >= 0)
        {
            var e = new Epoll.EpollEvent { Events = EpollIn | EpollRdHup, Data = id };
            if (Epoll.EpollCtl(_epoll, CtlAdd, (int)socket.SafeHandle.DangerousGetHandle(), &e) < 0) throw new SocketException(Marshal.GetLastPInvokeError());
        }
        _byId[id] = item;
        _members[item] = (socket, id);
    }

    /// <summary>Forgets a socket; call before disposing it.</summary>
    public void Remove(T item)
    {
        if (!_members.Remove(item, out var m)) return;
        _byId.Remove(m.Id);
        if (_epoll >= 0) Epoll.EpollCtl(_epoll, CtlDel, (int)m.Socket.SafeHandle.DangerousGetHandle(), null);
    }

    /// <summary>
    /// Adds the members that have data (or an error, or were closed by the peer) to <paramref name="ready"/>. When
    /// none has, waits up to <paramref name="wait"/> for one (where epoll is missing, sleeps that long).
    /// </summary>
    public void Collect(List<T> ready, TimeSpan wait = default)
    {
        if (_epoll < 0)
        {
            if (wait > TimeSpan.Zero) Thread.Sleep(wait);
            ready.AddRange(_members.Keys);
            return;
        }
        int timeout = (int)wait.TotalMilliseconds;
        while (true)
        {
            int n = Epoll.EpollWait(_epoll, _events, MaxEvents, timeout);
            timeout = 0;
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == EIntr) continue;
                throw new SocketException(Marshal.GetLastPInvokeError());
            }
            for (int i = 0; i < n; i++)
                if (_byId.TryGetValue(_events[i].Data, out var item)) ready.Add(item);
            if (n < MaxEvents) return;
        }
    }

    public void Dispose()
    {
        if (_epoll < 0) return;
        Epoll.Close(_epoll);
        NativeMemory.Free(_events);
    }
}

// The epoll calls (generic types cannot hold P/Invokes).
internal static unsafe partial class Epoll
{
    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    internal static partial int EpollCreate1(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    internal static partial int EpollCtl(int epoll, int op, int fd, EpollEvent* e);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    internal static partial int EpollWait(int epoll, EpollEvent* events, int max, int timeout);

    [LibraryImport("libc", EntryPoint = "close")]
    internal static partial int Close(int fd);

    // The kernel's struct epoll_event is packed on x86-64: a 32-bit event mask, then 64 bits of data.
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    internal struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }
}
