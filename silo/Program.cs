using System.CommandLine;
using System.Net;
using Davecast.Cli;
using Davecast.Metrics;
using Davecast.Grains;
using Davecast.Silo.Feed;
using Davecast.Silo;
using Davecast.Silo.Ingest;
using Davecast.Silo.Operations;
using Davecast.Silo.Window;
using Davecast.Wire;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;

var name = new Option<string>("--name") { Description = "Relay name, unique over every site (also the Orleans silo name)", DefaultValueFactory = _ => Environment.MachineName };
var site = new Option<string?>("--site") { Description = "Site (datacenter) of this relay; every site is its own Orleans cluster, whose id is the site name unless --cluster-id is given (default: the --cluster-id)" };
var feedPort = new Option<int>("--feed-port") { Description = "TCP port edge gateways connect to for this relay's frames (the relay feed)", DefaultValueFactory = _ => 9100 };
var ingestPort = new Option<int>("--ingest-port") { Description = "UDP and TCP port publishers send frames to", DefaultValueFactory = _ => 9001 };
var ingestAddress = new Option<string>("--ingest-address") { Description = "Address the ingest port and the feed port listen on", DefaultValueFactory = _ => "0.0.0.0" };
var siloPort = new Option<int>("--silo-port") { Description = "Orleans silo-to-silo port", DefaultValueFactory = _ => 11111 };
var gatewayPort = new Option<int>("--gateway-port") { Description = "Orleans gateway port that edge gateways connect to", DefaultValueFactory = _ => 30000 };
var advertise = new Option<string>("--advertise") { Description = "Address other silos and edges reach this silo at", DefaultValueFactory = _ => "127.0.0.1" };
var clustering = new Option<string>("--clustering") { Description = "Membership: 'localhost' (development, one machine) or 'redis'", DefaultValueFactory = _ => "localhost" };
clustering.AcceptOnlyFromAmong("localhost", "redis");
var primary = new Option<string>("--primary-silo") { Description = "With --clustering localhost: host:port of the first silo's silo port", DefaultValueFactory = _ => "127.0.0.1:11111" };
var redis = new Option<string>("--redis") { Description = "With --clustering redis: StackExchange.Redis connection string", DefaultValueFactory = _ => "127.0.0.1:6379" };
var clusterId = new Option<string?>("--cluster-id") { Description = "Orleans cluster id of this relay's site (default: the --site name, else 'davecast')" };
var dashboardPort = new Option<int>("--dashboard-port") { Description = "HTTP port of /mounts, /metrics, /healthz and, with --orleans-dashboard, the Orleans Dashboard (0: none; /metrics and /healthz then on a free loopback port)", DefaultValueFactory = _ => 8080 };
var orleansDashboard = new Option<bool>("--orleans-dashboard") { Description = "Also serve the Orleans Dashboard (silos, grains, calls: a developer's view) at / on --dashboard-port. It holds about 65 MB and takes CPU on every relay; without it / leads to /mounts" };
var window = new Option<double>("--window") { Description = "Seconds of recent frames each encoder's window keeps", DefaultValueFactory = _ => 10 };
var batchMs = new Option<int>("--batch-ms") { Description = "Milliseconds of frames per relay-feed batch to the edges", DefaultValueFactory = _ => 100 };
var preferredHold = new Option<double>("--preferred-hold") { Description = "Seconds a returning preferred encoder must be healthy before it is live again", DefaultValueFactory = _ => 10 };
var encoderTimeout = new Option<double>("--encoder-timeout") { Description = "Seconds without frames after which an encoder is not healthy (for the election)", DefaultValueFactory = _ => 3 };
var keys = new Option<string[]>("--key") { Description = "Publisher key as id=secret, repeatable (default: the development key)", AllowMultipleArgumentsPerToken = false };
var multicast = new Option<string[]>("--multicast") { Description = "Multicast group to join and take publishers' packets from, as group:port (e.g. 239.255.0.1:9002; IPv6 in brackets); repeatable", AllowMultipleArgumentsPerToken = false };
var multicastInterface = new Option<string>("--multicast-interface") { Description = "IP address of the interface to join --multicast groups on; loopback hears publishers on this machine only", DefaultValueFactory = _ => "127.0.0.1" };
// Caps on what a stranger, or a key holder's bug, can make the relay hold (docs/operations.md, "Caps").
var maxMounts = new Option<int>("--max-mounts") { HelpName = "n", Description = "Mounts this relay holds at most; packets for a new mount beyond are refused (a mount without encoders is forgotten after 2 minutes)", DefaultValueFactory = _ => 10_000 };
var maxMountsPerKey = new Option<int>("--max-mounts-per-key") { HelpName = "n", Description = "Mounts one publisher key may hold on this relay; packets of that key for a new mount beyond are refused, and its encoders told why", DefaultValueFactory = _ => 1_000 };
var maxEncodersPerMount = new Option<int>("--max-encoders-per-mount") { HelpName = "n", Description = "Encoders one mount may hold on this relay; packets of a new encoder beyond are refused, and the encoder told why", DefaultValueFactory = _ => 16 };
var ingestMaxConnections = new Option<int>("--ingest-max-connections") { HelpName = "n", Description = "Publisher TCP connections the ingest port holds at most; one beyond is closed at once", DefaultValueFactory = _ => 8_192 };
var ingestMaxPerAddress = new Option<int>("--ingest-max-connections-per-address") { HelpName = "n", Description = "Publisher TCP connections one source address (IPv6: one /64) may hold on the ingest port", DefaultValueFactory = _ => 256 };
var ingestAuthTimeout = new Option<double>("--ingest-auth-timeout") { HelpName = "seconds", Description = "Seconds a TCP connection to the ingest port may stay without a packet with a valid tag before it is closed", DefaultValueFactory = _ => 10 };
var adminUser = new Option<string>("--admin-user") { Description = "User for the dashboard and /mounts on the dashboard port (HTTP basic)", DefaultValueFactory = _ => "admin" };
var adminPassword = new Option<string>("--admin-password") { Description = "Password of --admin-user", DefaultValueFactory = _ => "hackme" };

ValidatePort(ingestPort, allowZero: true);
ValidatePort(feedPort, allowZero: true);
site.Validators.Add(r => { var v = r.GetValueOrDefault<string?>(); if (v is not null && (v.Length == 0 || v.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_' and not '.'))) r.AddError("--site must be a name of letters, digits, '-', '_' or '.'"); });
ValidatePort(siloPort);
ValidatePort(gatewayPort);
ValidatePort(dashboardPort, allowZero: true);
foreach (var o in new[] { maxMounts, maxMountsPerKey, maxEncodersPerMount, ingestMaxConnections, ingestMaxPerAddress })
    o.Rule(v => v is < 1 or > 1_000_000 ? $"{o.Name} must be between 1 and 1000000" : null);
ingestAuthTimeout.Rule(v => v is < 0.5 or > 3600 ? "--ingest-auth-timeout must be between 0.5 and 3600 seconds" : null);
window.Rule(v => v is < 1 or > 300 ? "--window must be between 1 and 300 seconds" : null);
preferredHold.Rule(v => v is < 0 or > 3600 ? "--preferred-hold must be between 0 and 3600 seconds" : null);
encoderTimeout.Rule(v => v is < 0.5 or > 60 ? "--encoder-timeout must be between 0.5 and 60 seconds" : null);
batchMs.Rule(v => v is < 10 or > 1000 ? "--batch-ms must be between 10 and 1000" : null);
name.Validators.Add(r => { if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>()) || r.GetValueOrDefault<string>()!.Contains('/')) r.AddError("--name must be non-empty and contain no '/'"); });
keys.Validators.Add(r =>
{
    foreach (var k in r.GetValueOrDefault<string[]>() ?? [])
        // The value may be a secret alone: it is never shown.
        if (k.IndexOf('=') is <= 0 || k.EndsWith('=')) r.AddError("--key takes id=secret: a value given has no id or no secret (values are not shown)");
});
foreach (var o in new Option[] { primary })
    o.Validators.Add(r => { try { HostPort.Split(r.GetValueOrDefault<string>()!); } catch (FormatException e) { r.AddError($"{r.Option.Name}: {e.Message}"); } });
adminUser.Validators.Add(r =>
{
    var v = r.GetValueOrDefault<string>();
    if (string.IsNullOrWhiteSpace(v) || v.Contains(':')) r.AddError("--admin-user must be non-empty and contain no ':'");
});
adminPassword.Rule(v => string.IsNullOrEmpty(v) ? "--admin-password must not be empty" : null);
foreach (var o in new Option[] { ingestAddress, advertise })
    o.Validators.Add(r => { if (!IPAddress.TryParse(r.GetValueOrDefault<string>(), out _)) r.AddError($"{r.Option.Name} must be an IP address"); });

multicast.Validators.Add(r =>
{
    foreach (var g in r.GetValueOrDefault<string[]>() ?? [])
        if (!MulticastGroup.TryParse(g, out _, out var error)) r.AddError($"--multicast: {error}");
});
multicastInterface.Validators.Add(r =>
{
    var text = r.GetValueOrDefault<string>();
    if (!IPAddress.TryParse(text, out var ip)) r.AddError($"--multicast-interface: '{text}' is not an IP address");
    else if (!MulticastGroup.IsLocalInterface(ip)) r.AddError($"--multicast-interface: {ip} is not an address of this machine's interfaces");
});

var root = new RootCommand("Davecast relay silo: takes publishers' frames over UDP and TCP, keeps a window per encoder, and sends them to edge gateways over the relay feed (TCP); the site's Orleans cluster holds the control state.")
{
    name, site, feedPort, ingestPort, ingestAddress, siloPort, gatewayPort, advertise, clustering, primary, redis, clusterId, dashboardPort, window, batchMs, preferredHold, encoderTimeout, keys,
};

root.Options.Add(multicast);
root.Options.Add(multicastInterface);
root.Options.Add(orleansDashboard);
root.Options.Add(adminUser);
root.Options.Add(adminPassword);
foreach (var o in new Option[] { maxMounts, maxMountsPerKey, maxEncodersPerMount, ingestMaxConnections, ingestMaxPerAddress, ingestAuthTimeout })
    root.Options.Add(o);

root.SetAction(async (parse, ct) =>
{
    var siteName = parse.GetValue(site) ?? parse.GetValue(clusterId) ?? "davecast";
    var cluster = parse.GetValue(clusterId) ?? siteName;
    var relay = new RelayOptions
    {
        Name = parse.GetValue(name)!,
        Site = siteName,
        Advertise = IPAddress.Parse(parse.GetValue(advertise)!),
        FeedAddress = IPAddress.Parse(parse.GetValue(ingestAddress)!),
        FeedPort = parse.GetValue(feedPort),
        IngestAddress = IPAddress.Parse(parse.GetValue(ingestAddress)!),
        IngestPort = parse.GetValue(ingestPort),
        Window = TimeSpan.FromSeconds(parse.GetValue(window)),
        BatchInterval = TimeSpan.FromMilliseconds(parse.GetValue(batchMs)),
        MaxMounts = parse.GetValue(maxMounts),
        MaxMountsPerKey = parse.GetValue(maxMountsPerKey),
        MaxEncodersPerMount = parse.GetValue(maxEncodersPerMount),
        IngestMaxConnections = parse.GetValue(ingestMaxConnections),
        IngestMaxConnectionsPerAddress = parse.GetValue(ingestMaxPerAddress),
        IngestAuthTimeout = TimeSpan.FromSeconds(parse.GetValue(ingestAuthTimeout)),
    };
    var keyList = parse.GetValue(keys) ?? [];
    if (keyList.Length > 0)
        relay.Keys = keyList.Select(k => k.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

    var builder = WebApplication.CreateBuilder();
    int dashboard = parse.GetValue(dashboardPort);
    bool withOrleansDashboard = dashboard != 0 && parse.GetValue(orleansDashboard);
    // Port 0: no dashboard. /metrics and /healthz then listen on a free loopback port (logged at start), never on
    // Kestrel's default of 5000, which two relays on one host would fight over.
    builder.WebHost.UseUrls(dashboard == 0 ? ["http://127.0.0.1:0"] : [$"http://0.0.0.0:{dashboard}"]);
    builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
    builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
    builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    builder.Logging.AddFilter("Polly", LogLevel.Warning);
    builder.Logging.AddFilter("Orleans", LogLevel.Warning);
    builder.Logging.AddFilter("Orleans.Runtime.MembershipService", LogLevel.Information);
    builder.Logging.AddFilter("Orleans.Runtime.Silo", LogLevel.Information);
    builder.Services.AddSingleton(Options.Create(relay));
    builder.Services.AddSingleton<IngestCounters>();
    builder.Services.AddSingleton(new KeyRing(relay.Keys));
    builder.Services.AddSingleton(new IngestMulticast(
        [.. (parse.GetValue(multicast) ?? []).Select(g => MulticastGroup.TryParse(g, out var group, out _) ? group! : throw new FormatException(g))],
        IPAddress.Parse(parse.GetValue(multicastInterface)!)));
    builder.Services.AddSingleton<MountTable>();
    builder.Services.AddSingleton<RelayWindow>();
    builder.Services.AddSingleton<PacketAcceptor>();
    builder.Services.AddSingleton<BatchCollector>();
    builder.Services.AddSingleton<RefusalReplies>();
    builder.Services.Configure<ElectionOptions>(o =>
    {
        o.PreferredHold = TimeSpan.FromSeconds(parse.GetValue(preferredHold));
        o.EncoderTimeout = TimeSpan.FromSeconds(parse.GetValue(encoderTimeout));
    });

    // Before the silo: a feed or ingest port in use stops the relay before it joins the cluster (hosts start services in order).
    builder.Services.AddSingleton<FeedServer>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<FeedServer>());
    builder.Services.AddSingleton(sp => IngestGate.Create(relay, sp.GetRequiredService<ILogger<IngestListener>>()));
    builder.Services.AddSingleton<IngestListener>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<IngestListener>());

    builder.UseOrleans(silo =>
    {
        silo.Configure<SiloOptions>(o => o.SiloName = relay.Name);
        var advertised = IPAddress.Parse(parse.GetValue(advertise)!);
        if (parse.GetValue(clustering) == "redis")
        {
            silo.UseRedisClustering(parse.GetValue(redis)!);
            silo.AddRedisGrainStorage(MountRecord.Storage, o => o.ConfigurationOptions = StackExchange.Redis.ConfigurationOptions.Parse(parse.GetValue(redis)!));
            silo.ConfigureEndpoints(advertised, parse.GetValue(siloPort), parse.GetValue(gatewayPort), listenOnAnyHostAddress: true);
        }
        else
        {
            silo.UseLocalhostClustering(parse.GetValue(siloPort), parse.GetValue(gatewayPort), HostPort.Resolve(parse.GetValue(primary)!));
            silo.AddMemoryGrainStorage(MountRecord.Storage);
        }
        silo.Configure<ClusterOptions>(o => { o.ClusterId = cluster; o.ServiceId = "davecast"; });
        // A call into a silo that just died fails after this, instead of the default 30 s.
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            // Notice a dead relay within a few seconds.
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
            o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        });
        if (withOrleansDashboard) silo.AddDashboard();
    });
    builder.Services.AddSingleton<RelayPump>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<RelayPump>());
    builder.Services.AddSingleton<RelayMetrics>();
    builder.Services.AddPrometheusMetrics("davecast-relay", relay.Name, RelayMetrics.MeterName);
    builder.Services.AddHealthChecks().AddCheck<RelayHealthCheck>("relay");

    // Orleans and Kestrel bind these inside the host's start: a port in use names its option.
    builder.Services.NameListenerPorts([(parse.GetValue(siloPort), siloPort.Name), (parse.GetValue(gatewayPort), gatewayPort.Name), (dashboard, dashboardPort.Name)]);
    // Workstation GC is chosen on purpose (ServerRuntime.props: less CPU on a few vCPUs): Orleans' advice to use server GC (event 100405) is left out.
    builder.Logging.Sieve(("Orleans.Runtime.Silo", 100405));

    await using var app = builder.Build();
    app.Services.GetRequiredService<RelayMetrics>();
    app.Services.GetRequiredService<RuntimeMetrics>();
    app.UseAdminCredentials(parse.GetValue(adminUser)!, parse.GetValue(adminPassword)!);
    if (withOrleansDashboard)
    {
        app.UseMountsLinkOnDashboard();
        app.MapOrleansDashboard();
    }
    else
    {
        app.MapGet("/", () => Results.Redirect("/mounts"));
    }
    app.MapHealthChecks("/healthz");
    app.MapPrometheusScrapingEndpoint();
    app.MapMountHealth();
    try
    {
        await app.StartAsync(ct);
    }
    catch (Exception e) when (ListenFailure.Find(e) is not null && app.Services.GetRequiredService<ISiloStatusOracle>().CurrentStatus == SiloStatus.Active)
    {
        // The dashboard's port in use, found after the silo started: it leaves the cluster cleanly before the relay exits.
        await app.StopAsync(CancellationToken.None);
        throw;
    }
    await app.WaitForShutdownAsync(ct);
    return 0;
});

return await ProgramRunner.RunAsync(root, args, "davecast-silo",
    [new SecretOption(keys, Protocol.DevelopmentSecret), new SecretOption(adminPassword, "hackme")]);

static void ValidatePort(Option<int> option, bool allowZero = false) =>
    option.Rule(v => v < (allowZero ? 0 : 1) || v > 65535 ? $"{option.Name} must be a port number (1-65535{(allowZero ? ", or 0" : "")})" : null);
