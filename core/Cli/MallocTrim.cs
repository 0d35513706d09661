using System.Runtime.InteropServices;

namespace Davecast.Cli;

/// <summary>
/// Gives the C library's free memory back to the system once a minute (glibc's malloc_trim). glibc keeps the pages of
/// freed blocks in its arenas, and the runtime's native allocations left them ever more fragmented: in the chaos soak the
/// arenas grew by 10-20 MB in 10 minutes in relays and edges while what they held in use stayed at 3-5 MB (BENCHMARKS.md,
/// "Native memory"); capping the arenas or fixing glibc's mmap threshold did not stop it. Other C libraries (musl) and
/// operating systems are left as they are.
/// </summary>
public static class MallocTrim
{
    public static readonly TimeSpan Every = TimeSpan.FromMinutes(1);

    // Held so that the timer is not collected; set once.
    private static Timer? _timer;

    /// <summary>Trims now and every <see cref="Every"/> from now on; false where it does not apply (not Linux, not glibc).</summary>
    public static bool Start()
    {
        if (!OperatingSystem.IsLinux() || !TrimNow()) return false;
        Interlocked.CompareExchange(ref _timer, new Timer(_ => TrimNow(), null, Every, Every), null);
        return true;
    }

    /// <summary>Gives back every whole free page of every arena; false where there is no glibc.</summary>
    public static bool TrimNow()
    {
        try
        {
            Trim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // libc.so.6 is glibc's name; musl's libc is named otherwise, so on musl this throws DllNotFoundException.
    [DllImport("libc.so.6", EntryPoint = "malloc_trim", ExactSpelling = true)]
    private static extern int Trim(nuint pad);
}
