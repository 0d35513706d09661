using System.Runtime.InteropServices;

namespace Davecast.Cli;

/// <summary>
/// Fixes the size from which the C library's malloc maps a block of its own (and unmaps it when freed) at glibc's
/// starting value. glibc raises that size to the largest mapped block freed so far (up to 32 MB) and its trim size to
/// twice that, so the runtime's few-MB blocks then came from the arenas and stayed there once freed: in the chaos soak
/// 80-90 % of the arenas' memory was free, mostly in chunks of 1-4 MB, and it was what grew outside the managed heap
/// (BENCHMARKS.md, "Native memory"). Other C libraries (musl) and operating systems are left as they are.
/// </summary>
public static class MallocMmapThreshold
{
    /// <summary>glibc's starting value: blocks from 128 KiB are mapped on their own, and an arena's free top above it is given back.</summary>
    public const int Bytes = 128 * 1024;

    // glibc's malloc.h: the mallopt() parameter M_MMAP_THRESHOLD; setting it also stops the thresholds from rising.
    private const int MmapThresholdParameter = -3;

    /// <summary>Fixes the threshold at <see cref="Bytes"/> unless the operator set MALLOC_MMAP_THRESHOLD_; false where it does not apply (not Linux, not glibc, or set by the operator).</summary>
    public static bool Fix()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null) return false;
        try
        {
            return Mallopt(MmapThresholdParameter, Bytes) == 1;
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
