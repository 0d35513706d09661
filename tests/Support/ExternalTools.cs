using System.Collections.Concurrent;

namespace Davecast.Tests.Support;

/// <summary>Finds the external programs that tests run as real peers (ffmpeg, icecast2, redis-server...).</summary>
public static class ExternalTools
{
    private static readonly ConcurrentDictionary<string, string?> Found = new(StringComparer.Ordinal);

    /// <summary>
    /// The full path of <paramref name="name"/> on PATH. Throws when it is missing: a test that needs a
    /// tool fails, it never skips silently.
    /// </summary>
    public static string Require(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return Found.GetOrAdd(name, Locate)
            ?? throw new InvalidOperationException(
                $"Required external tool '{name}' is missing: it is not on PATH. "
                + "Run ./test.sh, which installs it (ffmpeg, icecast2 and redis-server come from Debian packages: "
                + "apt-get install ffmpeg icecast2 redis-server).");
    }

    private static string? Locate(string name)
    {
        if (name.Contains(Path.DirectorySeparatorChar))
        {
            return IsExecutable(name) ? Path.GetFullPath(name) : null;
        }

        string path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (string dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (IsExecutable(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        // Debian puts some daemons (icecast2, redis-server) in sbin, which a test runner's PATH may lack.
        foreach (string dir in new[] { "/usr/sbin", "/sbin", "/usr/local/sbin" })
        {
            string candidate = Path.Combine(dir, name);
            if (IsExecutable(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool IsExecutable(string file)
    {
        if (!File.Exists(file))
        {
            return false;
        }

        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        var mode = File.GetUnixFileMode(file);
        return (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
    }
}
