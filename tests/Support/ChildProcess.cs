using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Davecast.Tests.Support;

/// <summary>
/// A real program started by a test, with its output kept (and written to the test output on failure).
/// Disposing kills it and its children.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly StringBuilder _log = new();
    private readonly StringBuilder _errors = new();

    public ChildProcess(string name, string fileName, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        Name = name;
        _process = new Process { StartInfo = Davecast.Bench.Harness.Child.StartInfo(fileName, args, env), EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            Add(e.Data);
            if (e.Data is not null) lock (_errors) _errors.AppendLine(e.Data);
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Runs one of the repository's programs with the dotnet host.</summary>
    public static ChildProcess Dotnet(string name, string dll, params string[] args) =>
        new(name, "dotnet", [dll, .. args]);

    /// <summary>
    /// Runs a program inside a network namespace (a <see cref="NetworkSite.Namespace"/>) with <c>ip netns exec</c>,
    /// which execs the program in its own place: <see cref="Pid"/> is the program's, so <see cref="Kill9"/> kills it.
    /// </summary>
    public static ChildProcess In(string netns, string name, string fileName, IEnumerable<string> args, IDictionary<string, string>? env = null) =>
        new(name, ExternalTools.Require("ip"), ["netns", "exec", netns, fileName, .. args], env);

    /// <summary>Runs one of the repository's programs with the dotnet host inside a network namespace (see <see cref="In"/>).</summary>
    public static ChildProcess DotnetIn(string netns, string name, string dll, params string[] args) =>
        In(netns, name, "dotnet", [dll, .. args]);

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <summary>What the program wrote to stderr alone (also in <see cref="Output"/>).</summary>
    public string ErrorOutput
    {
        get
        {
            lock (_errors) return _errors.ToString();
        }
    }

    public Stream StandardInput => _process.StandardInput.BaseStream;

    private void Add(string? line)
    {
        if (line is null) return;
        _lines.Enqueue(line);
        lock (_log) _log.AppendLine(line);
    }

    /// <summary>Waits until a line containing <paramref name="text"/> appears; throws with the output if not.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (Output.Contains(text, StringComparison.Ordinal)) return;
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing '{text}':\n{Output}");
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name} did not print '{text}' within {timeout}:\n{Output}");
    }

    /// <summary>SIGKILL: the process dies at once, with no chance to clean up.</summary>
    public void Kill9()
    {
        if (_process.HasExited) return;
        Posix.Kill(_process.Id, Posix.SIGKILL);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, then waits for the process to leave by itself.</summary>
    public bool Terminate(TimeSpan timeout)
    {
        if (_process.HasExited) return true;
        Posix.Kill(_process.Id, Posix.SIGTERM);
        return _process.WaitForExit(timeout);
    }

    /// <summary>SIGSTOP: the process freezes (as in a long GC pause or a stalled VM) until <see cref="Continue"/>.</summary>
    public void Stop() => Posix.Kill(_process.Id, Posix.SIGSTOP);

    /// <summary>SIGCONT: a stopped process runs again.</summary>
    public void Continue() => Posix.Kill(_process.Id, Posix.SIGCONT);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}

internal static class Posix
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    public static extern uint Geteuid();
}
