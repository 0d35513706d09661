using System.Runtime.InteropServices;

namespace Davecast.Cli;

/// <summary>
/// Caps the C library's malloc arenas of a long-running program. glibc gives each new thread that allocates its own
/// arena, up to eight per core, and keeps the pages each one touched: the thread pool's workers coming and going spread
/// the runtime's native allocations over all of them, and RSS grew outside the managed heap for the first 15-20 minutes
/// of the chaos soak (BENCHMARKS.md, "Native memory"). Other C libraries (musl) and operating systems are left as they are.
/// </summary>
public static class MallocArenas
{
    /// <summary>Arenas a program keeps: the main one and one more, shared by every thread.</summary>
    public const int Max = 2;

    // glibc's malloc.h: the parameter of mallopt() that caps the number of arenas.
    private const int ArenaMaxParameter = -8;

    /// <summary>
    /// Caps the arenas at <see cref="Max"/> unless the operator set MALLOC_ARENA_MAX; false where it does not apply
    /// (not Linux, not glibc, or set by the operator).
    /// </summary>
    public static bool Limit()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not null) return false;
        try
        {
            return Mallopt(ArenaMaxParameter, Max) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // libc.so.6 is glibc's name; musl's libc is named otherwise, so on musl this throws DllNotFoundException.
    [DllImport("libc.so.6", EntryPoint = "mallopt", ExactSpelling = true)]
    private static extern int Mallopt(int parameter, int value);
}
