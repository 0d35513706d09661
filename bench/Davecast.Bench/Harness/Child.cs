using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Davecast.Bench.Harness;

/// <summary>
/// A program the harness started: its output goes to a log file (and the last lines stay in memory), its standard
/// input stays open for commands. Disposing kills it (and what it started) if it still runs.
/// </summary>
public sealed class Child : IDisposable
{
    private const int KeptLines = 400;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly List<(string Text, TaskCompletionSource<string> Found)> _waits = [];
    private readonly Lock _gate = new();

    private Child(string name, Process process, string logPath)
    {
        Name = name;
        _process = process;
        LogPath = logPath;
        _log = new StreamWriter(logPath, append: false) { AutoFlush = true };
    }

    public string Name { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// How every child program is started (here and in the tests): standard streams redirected, no shell, .NET's
    /// telemetry and banner off, plus <paramref name="env"/>.
    /// </summary>
    public static ProcessStartInfo StartInfo(string file, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    /// <param name="env">Extra environment variables (the harness sets DOTNET_ENVIRONMENT for every program).</param>
    public static Child Start(string name, string file, IEnumerable<string> args, string logDirectory, IDictionary<string, string>? env = null)
    {
        var process = new Process { StartInfo = StartInfo(file, args, env), EnableRaisingEvents = true };
        var child = new Child(name, process, Path.Combine(logDirectory, $"{name}.log"));
        child._log.WriteLine($"# {file} {string.Join(' ', args.Select(Quote))}");
        process.OutputDataReceived += (_, e) => child.Line(e.Data);
        process.ErrorDataReceived += (_, e) => child.Line(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private static string Quote(string a) => a.Contains(' ') ? $"'{a}'" : a;

    private void Line(string? line)
    {
        if (line is null) return;
        lock (_gate)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
            _tail.Enqueue(line);
            while (_tail.Count > KeptLines) _tail.Dequeue();
            for (int i = _waits.Count - 1; i >= 0; i--)
            {
                if (!line.Contains(_waits[i].Text, StringComparison.Ordinal)) continue;
                _waits[i].Found.TrySetResult(line);
                _waits.RemoveAt(i);
            }
        }
    }

    /// <summary>Waits for an output line (from now on) containing <paramref name="text"/>; returns it. Throws if the program exits first.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _waits.Add((text, found));
        var deadline = DateTime.UtcNow + timeout;
        while (!found.Task.IsCompleted)
        {
            if (_process.HasExited)
            {
                // Let the last lines arrive.
                _process.WaitForExit();
                if (found.Task.IsCompleted) break;
                throw new InvalidOperationException($"{Name} exited ({_process.ExitCode}) before printing '{text}'. Last lines:\n{Tail(40)}");
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{Name} did not print '{text}' within {timeout.TotalSeconds:F0} s. Last lines:\n{Tail(40)}");
            await Task.WhenAny(found.Task, Task.Delay(200));
        }
        return await found.Task;
    }

    /// <summary>Starts waiting now for a line; await the task later (so that a line printed meanwhile is not missed).</summary>
    public Task<string> ExpectLine(string text, TimeSpan timeout) => WaitForLineAsync(text, timeout);

    public void Send(string command)
    {
        try
        {
            _process.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
        }
    }

    public string Tail(int lines)
    {
        lock (_gate) return string.Join('\n', _tail.Skip(Math.Max(0, _tail.Count - lines)));
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM, then SIGKILL if it has not left within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited) return;
        _ = Kill(_process.Id, 15);
        if (!await WaitForExitAsync(grace)) KillNow();
    }

    /// <summary>
    /// Stops programs that work together, the last started first (nobody logs the others' departure at length), each
    /// until it has exited, and releases them.
    /// </summary>
    public static async Task StopAllAsync(IEnumerable<Child> startedInOrder)
    {
        foreach (var c in startedInOrder.Reverse())
        {
            await c.StopAsync(TimeSpan.FromSeconds(10));
            c.Dispose();
        }
    }

    /// <summary>SIGKILL to this process and its children.</summary>
    public void KillNow()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
        }
    }

    public void Dispose()
    {
        KillNow();
        lock (_gate) _log.Dispose();
        _process.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
