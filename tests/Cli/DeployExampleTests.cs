using System.Text.Json;
using Davecast.Tests.Support;

namespace Davecast.Tests.Cli;

/// <summary>The example configuration in deploy/example names only options that exist, so an operator can copy it.</summary>
[Collection(ProcessCollection.Name)]
public sealed class DeployExampleTests
{
    public static TheoryData<string, string, string> Examples()
    {
        var data = new TheoryData<string, string, string>();
        var root = Path.Combine(Repo.Root, "deploy", "example");
        foreach (var file in Directory.GetFiles(root, "appsettings.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var folder = Path.GetFileName(Path.GetDirectoryName(file)!);
            var (project, program) = folder switch
            {
                "relay" => ("silo", "davecast-silo"),
                "edge" => ("edge-gateway", "davecast-edge"),
                _ when folder.StartsWith("publisher-", StringComparison.Ordinal) => ("publisher", "davecast-publisher"),
                _ => throw new InvalidOperationException($"{file}: no program for folder '{folder}'"),
            };
            data.Add(Path.GetRelativePath(Repo.Root, file), project, program);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task Every_setting_of_an_example_configuration_names_an_option_of_its_program(string file, string project, string program)
    {
        using var process = ChildProcess.Dotnet(program, Repo.ProgramDll(project, program), "--config", Path.Combine(Repo.Root, file), "--help");
        int code = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("there is no option", process.Output);
        Assert.Equal(0, code);
    }

    [Fact]
    public void The_examples_cover_two_sites_with_a_relay_and_an_edge_each_and_two_publishers()
    {
        var files = Examples().Select(row => (string)row[0]).ToList();
        Assert.Equal(6, files.Count);
        foreach (var site in new[] { "site-a", "site-b" })
        {
            Assert.Contains(files, f => f.Contains(site) && f.Contains("relay"));
            Assert.Contains(files, f => f.Contains(site) && f.Contains("edge"));
        }
        Assert.Equal(2, files.Count(f => f.Contains("publisher-")));
    }

    [Fact]
    public void Each_site_is_its_own_cluster_and_every_edge_and_publisher_reaches_both_sites()
    {
        var example = Path.Combine(Repo.Root, "deploy", "example");
        var relays = new Dictionary<string, JsonElement>();
        foreach (var folder in new[] { "site-a", "site-b" })
        {
            var relay = Settings(Path.Combine(example, folder, "relay"));
            // The site is the folder's; the cluster id is the site's name (no ClusterId to disagree with it).
            Assert.Equal(folder, relay.GetProperty("Site").GetString());
            Assert.False(relay.TryGetProperty("ClusterId", out _), $"{folder}/relay: the cluster id is the site name");
            Assert.Equal("redis", relay.GetProperty("Clustering").GetString());
            Assert.True(relay.TryGetProperty("FeedPort", out _), $"{folder}/relay names no FeedPort");
            relays[folder] = relay;
        }
        // Each site has its own Redis: losing one site's leaves the other's membership alone.
        Assert.NotEqual(relays["site-a"].GetProperty("Redis").GetString(), relays["site-b"].GetProperty("Redis").GetString());
        Assert.Equal(relays.Count, relays.Values.Select(r => r.GetProperty("Name").GetString()).Distinct().Count());

        var expectedSites = relays.Select(r => $"{r.Key}=redis:{r.Value.GetProperty("Redis").GetString()}").Order(StringComparer.Ordinal).ToArray();
        var ingest = relays.Values.Select(r => $"{r.GetProperty("Advertise").GetString()}:{r.GetProperty("IngestPort").GetInt32()}").Order(StringComparer.Ordinal).ToArray();
        foreach (var folder in relays.Keys)
        {
            // Every edge follows both sites, each through its own Redis, and none uses the single-site options.
            var edge = Settings(Path.Combine(example, folder, "edge"));
            Assert.Equal(expectedSites, edge.GetProperty("Site").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal).ToArray());
            foreach (var single in new[] { "ClusterId", "Clustering", "Redis", "Gateway" })
                Assert.False(edge.TryGetProperty(single, out _), $"{folder}/edge sets {single}: its sites are in Site");
            // The edge takes the encoder timeout from the sites' mount grains (the relays' own).
            Assert.False(edge.TryGetProperty("EncoderTimeout", out _), $"{folder}/edge sets EncoderTimeout: it is the relays'");
            // Every publisher sends to every relay.
            foreach (var publisher in Directory.GetDirectories(Path.Combine(example, folder), "publisher-*"))
                Assert.Equal(ingest, Settings(publisher).GetProperty("Relay").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal).ToArray());
        }
    }

    [Fact]
    public void The_relay_unit_restarts_a_relay_whatever_ends_it()
    {
        var unit = File.ReadAllLines(Path.Combine(Repo.Root, "deploy", "systemd", "davecast-relay.service")).Select(l => l.Trim());
        Assert.Contains("Restart=always", unit);
    }

    [Fact]
    public void The_edge_unit_may_bind_port_80_and_only_that()
    {
        var unit = File.ReadAllLines(Path.Combine(Repo.Root, "deploy", "systemd", "davecast-edge.service")).Select(l => l.Trim()).ToList();
        Assert.Contains("AmbientCapabilities=CAP_NET_BIND_SERVICE", unit);
        Assert.Contains("CapabilityBoundingSet=CAP_NET_BIND_SERVICE", unit);
    }

    [Fact]
    public void The_example_and_the_docs_give_the_same_listen_source_port()
    {
        var listen = Settings(Path.Combine(Repo.Root, "deploy", "example", "site-b", "publisher-studio-backup")).GetProperty("ListenSource").GetString()!;
        var port = listen[(listen.LastIndexOf(':') + 1)..];
        Assert.Contains($"| publisher with `ListenSource` | {port} (", File.ReadAllText(Path.Combine(Repo.Root, "docs", "deploy.md")));
        Assert.Contains($"--listen-source 0.0.0.0:{port}", File.ReadAllText(Path.Combine(Repo.Root, "docs", "icecast.md")));
    }

    /// <summary>
    /// deploy/publish.sh (dotnet publish) lays out /opt/davecast as the units name it: every path in their
    /// ExecStart and Documentation exists in what it publishes, and the published programs run.
    /// </summary>
    [Fact]
    public async Task Publish_script_makes_every_path_the_units_name_and_the_published_programs_run()
    {
        var dest = Directory.CreateTempSubdirectory("davecast-publish-").FullName;
        try
        {
            using (var publish = new ChildProcess("publish.sh", "bash", [Path.Combine(Repo.Root, "deploy", "publish.sh"), dest]))
                Assert.True(await publish.WaitForExitAsync(TimeSpan.FromMinutes(10)) == 0, $"deploy/publish.sh failed:\n{publish.Output}");
            const string opt = "/opt/davecast/";
            var dlls = new List<string>();
            foreach (var unit in Directory.GetFiles(Path.Combine(Repo.Root, "deploy", "systemd"), "*.service"))
            {
                var named = File.ReadAllLines(unit).Where(l => l.StartsWith("ExecStart=") || l.StartsWith("Documentation="))
                    .SelectMany(l => System.Text.RegularExpressions.Regex.Matches(l, @"/opt/davecast/\S+").Select(m => m.Value)).ToList();
                Assert.Equal(2, named.Count);
                foreach (var path in named)
                    Assert.True(File.Exists(Path.Combine(dest, path[opt.Length..])), $"{Path.GetFileName(unit)} names {path}, which deploy/publish.sh does not make");
                Assert.True(File.Exists(Path.Combine(dest, "systemd", Path.GetFileName(unit))), $"{Path.GetFileName(unit)} is not published");
                dlls.AddRange(named.Where(p => p.EndsWith(".dll")).Select(p => Path.Combine(dest, p[opt.Length..])));
            }
            foreach (var dll in dlls)
            {
                using var help = ChildProcess.Dotnet(Path.GetFileNameWithoutExtension(dll), dll, "--help");
                Assert.True(await help.WaitForExitAsync(TimeSpan.FromSeconds(30)) == 0, $"{dll} --help:\n{help.Output}");
            }
        }
        finally
        {
            Directory.Delete(dest, recursive: true);
        }
    }

    private static JsonElement Settings(string folder)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "appsettings.json")));
        return doc.RootElement.GetProperty("Davecast").Clone();
    }
}
