using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Davecast.Wire;

namespace Davecast.Silo.Ingest;

/// <summary>
/// Takes the datagrams queued on a UDP socket many at a time: on Linux one <c>recvmmsg</c> system call fills up to
/// <see cref="BatchSize"/> buffers, where <see cref="Socket.ReceiveFrom(Span{byte}, SocketFlags, SocketAddress)"/>
/// costs a call per datagram (and a second to ask whether one is queued). Elsewhere it reads one at a time. Never
/// blocks. Buffers are native memory reused for the reader's life; not thread-safe.
/// </summary>
internal sealed unsafe partial class DatagramReader : IDisposable
{
    /// <summary>Datagrams taken per system call at most.</summary>
    public const int BatchSize = 64;

    // A buffer holds the largest packet and one byte more: a longer datagram shows as oversized, not as a cut packet.
    private const int BufferSize = Protocol.MaxPacketSize + 1;
    private const int AddressSize = 128; // sockaddr_storage
    private const int MsgDontWait = 0x40, MsgTrunc = 0x20, EAgain = 11, EIntr = 4;

    private readonly Socket _socket;
    private readonly bool _batched = OperatingSystem.IsLinux() && IntPtr.Size == 8;
    private readonly byte* _buffers, _addresses;
    private readonly MMsgHdr* _headers;
    private readonly IoVec* _vectors;
    private readonly int[] _lengths = new int[BatchSize];
    private readonly byte[]? _single;
    private readonly SocketAddress? _singleAddress;

    public DatagramReader(Socket socket)
    {
        _socket = socket;
        if (!_batched)
        {
            _single = GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
            _singleAddress = new SocketAddress(socket.AddressFamily, SocketAddress.GetMaximumAddressSize(socket.AddressFamily));
            return;
        }
        _buffers = (byte*)NativeMemory.Alloc(BatchSize * (nuint)BufferSize);
        _addresses = (byte*)NativeMemory.AllocZeroed(BatchSize * (nuint)AddressSize);
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed(BatchSize, (nuint)sizeof(MMsgHdr));
        _vectors = (IoVec*)NativeMemory.AllocZeroed(BatchSize, (nuint)sizeof(IoVec));
        for (int i = 0; i < BatchSize; i++)
        {
            _vectors[i] = new IoVec { Base = _buffers + (nint)i * BufferSize, Length = BufferSize };
            _headers[i].Header.Vectors = &_vectors[i];
            _headers[i].Header.VectorCount = 1;
            _headers[i].Header.Name = _addresses + i * AddressSize;
        }
    }

    /// <summary>Takes what is queued, up to <see cref="BatchSize"/> datagrams; 0 when nothing is. Throws <see cref="SocketException"/>.</summary>
    public int Read()
    {
        if (!_batched) return ReadOne();
        for (int i = 0; i < BatchSize; i++)
        {
            _headers[i].Header.NameLength = AddressSize;
            _headers[i].Header.Flags = 0;
        }
        bool added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added);
            int n;
            do n = RecvMMsg((int)_socket.SafeHandle.DangerousGetHandle(), _headers, BatchSize, MsgDontWait, null);
            while (n < 0 && Marshal.GetLastPInvokeError() == EIntr);
            if (n < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EAgain) return 0;
                throw new SocketException((int)ErrorFromErrno(errno));
            }
            for (int i = 0; i < n; i++)
                _lengths[i] = (_headers[i].Header.Flags & MsgTrunc) != 0 ? BufferSize : (int)_headers[i].Length;
            return n;
        }
        finally
        {
            if (added) _socket.SafeHandle.DangerousRelease();
        }
    }

    /// <summary>The <paramref name="i"/>th datagram of the last <see cref="Read"/>.</summary>
    public ReadOnlySpan<byte> Datagram(int i) =>
        _batched ? new ReadOnlySpan<byte>(_buffers + (nint)i * BufferSize, _lengths[i]) : _single.AsSpan(0, _lengths[0]);

    /// <summary>Copies the sender of the <paramref name="i"/>th datagram into <paramref name="into"/> (for a reply).</summary>
    public void CopySource(int i, SocketAddress into)
    {
        if (!_batched)
        {
            _singleAddress!.Buffer.Span[.._singleAddress.Size].CopyTo(into.Buffer.Span);
            into.Size = _singleAddress.Size;
            return;
        }
        int size = (int)Math.Min(_headers[i].Header.NameLength, (uint)into.Buffer.Length);
        new ReadOnlySpan<byte>(_addresses + i * AddressSize, size).CopyTo(into.Buffer.Span);
        into.Size = size;
    }

    private int ReadOne()
    {
        if (_socket.Available == 0) return 0;
        _lengths[0] = _socket.ReceiveFrom(_single, SocketFlags.None, _singleAddress!);
        return 1;
    }

    private static SocketError ErrorFromErrno(int errno) => errno switch
    {
        111 => SocketError.ConnectionRefused, // ECONNREFUSED: an ICMP error for an earlier reply
        104 => SocketError.ConnectionReset,
        9 or 88 => SocketError.OperationAborted, // EBADF, ENOTSOCK: closed under us
        _ => SocketError.SocketError,
    };

    public void Dispose()
    {
        if (!_batched) return;
        NativeMemory.Free(_buffers);
        NativeMemory.Free(_addresses);
        NativeMemory.Free(_headers);
        NativeMemory.Free(_vectors);
    }

    [LibraryImport("libc", EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMMsg(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public byte* Name;
        public uint NameLength;
        public IoVec* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }
}
