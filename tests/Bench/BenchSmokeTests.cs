using System.Text;
using Davecast.Bench.Harness;
using Davecast.Tests.Support;
using Xunit.Abstractions;

namespace Davecast.Tests.Bench;

/// <summary>
/// Runs the benchmark harness for ten seconds so that it cannot rot: 4 mounts (AAC and MP3) from the load
/// generator, 2 relays, 1 edge, 20 listeners checked frame by frame. It asserts that the run happened and that every
/// frame arrived, whole and in order; never how fast (benchmarks measure, tests assert).
/// </summary>
public sealed class BenchSmokeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Harness_runs_4_mounts_2_relays_1_edge_10_s_and_20_listeners_get_every_frame()
    {
        ExternalTools.Require("redis-server");
        var results = Directory.CreateTempSubdirectory("davecast-bench-smoke-");
        var log = new OutputWriter(output);
        var context = new BenchContext(Repo.Root, Repo.Configuration, results.FullName, log);
        LoadRunResult? run = null;
        try
        {
            run = await LoadRun.RunAsync(context, "smoke", new LoadRunOptions
            {
                Mounts = 4,
                WindowSeconds = 10,
                Checked = 4,
                ListenersPerCheckedMount = 5,
                WaitForQuiet = false,
                WarmupSeconds = 0,
            });

            Assert.Equal(4, run.MountsPlaying);
            Assert.Contains(run.Window.Processes, p => p.Name == "edge" && p.CpuSeconds >= 0);
            Assert.Equal(2, run.Window.Processes.Count(p => p.Name.StartsWith("relay-", StringComparison.Ordinal)));
            Assert.True(run.Load.Load.FramesSent > 0, "the load generator sent nothing");
            var listeners = run.Load.Listeners;
            Assert.NotNull(listeners);
            Assert.Equal(20, listeners.Listeners);
            Assert.Equal(20, listeners.CheckedListeners);
            Assert.Equal(0, listeners.Dropped + listeners.Refused + listeners.Failed);
            var check = listeners.Check;
            Assert.True(check.Frames > 0, "the listeners received no frames");
            Assert.True(check.Perfect, $"frames missing, repeated or foreign: {check}");
            Assert.Equal(0, run.EdgeGapFrames);
        }
        catch
        {
            // Every program's last lines, to see why.
            foreach (var file in Directory.EnumerateFiles(results.FullName, "*.log", SearchOption.AllDirectories))
            {
                output.WriteLine($"===== {Path.GetFileName(file)} =====");
                foreach (var line in File.ReadLines(file).TakeLast(40)) output.WriteLine(line);
            }
            throw;
        }
        finally
        {
            try
            {
                results.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>The harness's progress lines, into the test's output.</summary>
    private sealed class OutputWriter(ITestOutputHelper output) : TextWriter
    {
        private readonly StringBuilder _line = new();

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_line)
            {
                if (value == '\n')
                {
                    Flush(_line.ToString());
                    _line.Clear();
                }
                else if (value != '\r')
                {
                    _line.Append(value);
                }
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_line)
            {
                Flush(_line.Append(value).ToString());
                _line.Clear();
            }
        }

        private void Flush(string line)
        {
            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test has finished.
            }
        }
    }
}
