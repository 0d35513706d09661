using System.CommandLine;
using System.Net;
using Davecast.Cli;
using Davecast.Metrics;
using Davecast.Edge;
using Davecast.Edge.Connections;
using Davecast.Edge.Listeners;
using Davecast.Edge.Outputs.Hls;
using Davecast.Edge.Outputs.Icecast;
using Davecast.Edge.Sites;
using Microsoft.Extensions.Options;

var port = new Option<int>("--port") { Description = "HTTP port listeners connect to", DefaultValueFactory = _ => 8000 };
var address = new Option<string>("--address") { Description = "Address the HTTP port listens on", DefaultValueFactory = _ => "0.0.0.0" };
var sites = new Option<string[]>("--site") { Description = "A site whose relays this edge follows, as NAME=redis:CONNECTION (the site's membership table) or NAME=gateways:HOST:PORT[,HOST:PORT...]; repeatable, one per site. The site's Orleans cluster id is NAME. Without --site: one site, from --clustering, --gateway, --redis and --cluster-id", AllowMultipleArgumentsPerToken = false };
var clustering = new Option<string>("--clustering") { Description = "Without --site: how to find the relays: 'localhost' (the --gateway list) or 'redis'", DefaultValueFactory = _ => "localhost" };
clustering.AcceptOnlyFromAmong("localhost", "redis");
var gateways = new Option<string[]>("--gateway") { Description = "With --clustering localhost: host:port of a relay's Orleans gateway (repeatable)", DefaultValueFactory = _ => ["127.0.0.1:30000"] };
var redis = new Option<string>("--redis") { Description = "With --clustering redis: StackExchange.Redis connection string", DefaultValueFactory = _ => "127.0.0.1:6379" };
var clusterId = new Option<string>("--cluster-id") { Description = "Without --site: the Orleans cluster id, as given to the relays", DefaultValueFactory = _ => "davecast" };
var holdMs = new Option<int>("--hold-ms") { Description = "Milliseconds a missing frame is waited for before it is given up", DefaultValueFactory = _ => 400 };
var backfillMs = new Option<int>("--backfill-ms") { Description = "Milliseconds a backfill from the relays' windows may take before a backup encoder's frame is used", DefaultValueFactory = _ => 300 };
var edgeName = new Option<string>("--name") { Description = "This edge's name in mount health", DefaultValueFactory = _ => Environment.MachineName };
var burst = new Option<int>("--burst-bytes") { Description = "Bytes of recent audio sent at once to a new listener (64 KiB unless --burst-seconds is given; with it, the smaller burst applies)" };
var burstSeconds = new Option<double?>("--burst-seconds") { Description = "Seconds of recent audio sent at once to a new listener, whatever the bitrate (at most --listener-queue-bytes; with --burst-bytes, the smaller burst applies)" };
var mountTimeout = new Option<double>("--mount-timeout") { Description = "Seconds a mount may have no live encoder (none healthy by the election's encoder timeout) before new listeners get 404 and its listeners are closed, as Icecast does when a source leaves; a failover to a backup encoder or another relay keeps it live", DefaultValueFactory = _ => EdgeOptions.DefaultMountTimeout.TotalSeconds };
var writeMs = new Option<int>("--write-interval-ms") { Description = "Least milliseconds between two writes to a listener; audio emitted meanwhile goes in one write", DefaultValueFactory = _ => 200 };
var metaint = new Option<int>("--icy-metaint") { Description = "Audio bytes between ICY metadata blocks for listeners that send Icy-MetaData: 1", DefaultValueFactory = _ => 16000 };
var maxListeners = new Option<int>("--max-listeners") { Description = "Listeners this edge serves at once over all mounts; more are refused with 503", DefaultValueFactory = _ => 10_000 };
var maxPerMount = new Option<int>("--max-listeners-per-mount") { Description = "Listeners one mount may have at this edge; 0: only --max-listeners applies", DefaultValueFactory = _ => 0 };
var maxConnections = new Option<int?>("--max-connections") { Description = $"Connections this edge holds at once, idle ones and requests being read included (listeners count too); more are closed at once, counted in davecast_edge_connections_closed_total (default: --max-listeners + {EdgeOptions.ConnectionHeadroom})" };
var maxPerAddress = new Option<int>("--max-connections-per-address") { Description = "Connections one client address may hold at once; more are closed at once. 0: no limit. A reverse proxy's address is exempt when given as --proxy-address", DefaultValueFactory = _ => EdgeOptions.DefaultMaxConnectionsPerAddress };
var proxyAddresses = new Option<string[]>("--proxy-address") { Description = "IP address of a reverse proxy in front of this edge (e.g. nginx terminating TLS on this machine: 127.0.0.1); repeatable. Its connections count against --max-connections only, not --max-connections-per-address: limit each client at the proxy", AllowMultipleArgumentsPerToken = false };
var headerTimeout = new Option<double>("--header-timeout") { Description = "Seconds a connection may take to send a whole request head before it is closed, so that a client trickling bytes holds nothing for long", DefaultValueFactory = _ => Davecast.Http.RequestHeadParser.DefaultTimeout.TotalSeconds };
var queueBytes = new Option<int>("--listener-queue-bytes") { Description = "A listener whose unsent audio passes this many bytes is dropped", DefaultValueFactory = _ => 512 * 1024 };
var relayUser = new Option<string>("--relay-user") { Description = "User an Icecast slave gives for /admin/streamlist.txt (HTTP basic)", DefaultValueFactory = _ => "relay" };
var relayPassword = new Option<string>("--relay-password") { Description = "Password of --relay-user", DefaultValueFactory = _ => EdgeOptions.DevelopmentPassword };
var adminUser = new Option<string>("--admin-user") { Description = "User for the admin endpoints: /admin/metadata, /admin/stats, /admin/listmounts, /admin/listclients, /admin/killclient (HTTP basic)", DefaultValueFactory = _ => "admin" };
var adminPassword = new Option<string>("--admin-password") { Description = "Password of --admin-user", DefaultValueFactory = _ => EdgeOptions.DevelopmentPassword };
var hostname = new Option<string>("--hostname") { Description = "Host name listeners reach this edge by, for listen URLs in /status-json.xsl", DefaultValueFactory = _ => "localhost" };
var publicPort = new Option<int?>("--public-port") { Description = "Port listeners reach this edge on, for listen URLs (default: --port)" };
var location = new Option<string>("--location") { Description = "status-json's location field", DefaultValueFactory = _ => "Earth" };
var adminContact = new Option<string>("--admin-contact") { Description = "status-json's admin field (a contact address)", DefaultValueFactory = _ => "icemaster@localhost" };
var listenerAuthUrl = new Option<string[]>("--listener-auth-url") { Description = "Listener authentication by URL (Icecast's url authenticator): URL for every mount, MOUNT=URL for one mount, MOUNT=none for a public mount; repeatable. The hook gets form-encoded listener_add and listener_remove POSTs", AllowMultipleArgumentsPerToken = false };
var listenerAuthHeader = new Option<string>("--listener-auth-header") { Description = "The header, NAME: VALUE, by which the hook's answer admits a listener", DefaultValueFactory = _ => "icecast-auth-user: 1" };
var listenerAuthTimeoutMs = new Option<int>("--listener-auth-timeout-ms") { Description = "Milliseconds the hook may take to answer before it counts as down", DefaultValueFactory = _ => 5000 };
var listenerAuthDown = new Option<string>("--listener-auth-down") { Description = "While the hook is down (no answer, or 5xx): 'closed' refuses listeners with 503, 'open' admits them", DefaultValueFactory = _ => "closed" };
listenerAuthDown.AcceptOnlyFromAmong("closed", "open");
var hls = new Option<bool>("--hls") { Description = "Serve every mount as HLS too (GET /MOUNT.m3u8); each mount then keeps --hls-window segments of audio: about 580 KB at 128 kbps with the defaults, 145 MB for 250 such mounts" };
var hlsSegmentSeconds = new Option<int>("--hls-segment-seconds") { Description = "Seconds of programme per HLS segment (GET /MOUNT.m3u8), and the playlists' target duration; segments are cut at multiples of it in media time, so every edge cuts the same ones", DefaultValueFactory = _ => EdgeOptions.DefaultHlsSegmentSeconds };
var hlsWindow = new Option<int>("--hls-window") { Description = "HLS segments a media playlist lists; the edge keeps only those", DefaultValueFactory = _ => EdgeOptions.DefaultHlsWindow };
var hlsPeers = new Option<string[]>("--hls-peer") { Description = "Base URL of another edge (http://HOST:PORT) whose media playlist the multivariant playlist (GET /MOUNT.multivariant.m3u8) lists as a redundant variant; repeatable", AllowMultipleArgumentsPerToken = false };

port.Rule(v => v is < 0 or > 65535 ? "--port must be a port number (1-65535, or 0)" : null);
address.Validators.Add(r => { if (!IPAddress.TryParse(r.GetValueOrDefault<string>(), out _)) r.AddError("--address must be an IP address"); });
gateways.Validators.Add(r =>
{
    foreach (var g in r.GetValueOrDefault<string[]>() ?? [])
    {
        try { HostPort.Split(g); }
        catch (FormatException e) { r.AddError($"--gateway: {e.Message}"); }
    }
});
sites.Validators.Add(r =>
{
    var names = new HashSet<string>(StringComparer.Ordinal);
    foreach (var text in r.GetValueOrDefault<string[]>() ?? [])
    {
        if (!SiteSpec.TryParse(text, out var spec, out var error)) r.AddError($"--site: {error}");
        else if (!names.Add(spec!.Name)) r.AddError($"--site: site '{spec.Name}' is given twice");
    }
});
holdMs.Rule(v => v is < 0 or > 10_000 ? "--hold-ms must be between 0 and 10000" : null);
backfillMs.Rule(v => v is < 10 or > 10_000 ? "--backfill-ms must be between 10 and 10000" : null);
edgeName.Validators.Add(r => { if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>())) r.AddError("--name must not be empty"); });
burst.Rule(v => v is < 0 or > 16 * 1024 * 1024 ? "--burst-bytes must be between 0 and 16777216" : null);
burstSeconds.Rule(v => v is < 0 or > 30 or double.NaN ? "--burst-seconds must be between 0 and 30" : null);
mountTimeout.Rule(v => v is < 0 or > 86_400 or double.NaN ? "--mount-timeout must be between 0 and 86400 (seconds)" : null);
writeMs.Rule(v => v is < 0 or > 1000 ? "--write-interval-ms must be between 0 and 1000" : null);
metaint.Rule(v => v is < 256 or > 1024 * 1024 ? "--icy-metaint must be between 256 and 1048576" : null);
maxListeners.Rule(v => v is < 1 or > 1_000_000 ? "--max-listeners must be between 1 and 1000000" : null);
maxPerMount.Rule(v => v is < 0 or > 1_000_000 ? "--max-listeners-per-mount must be between 0 and 1000000" : null);
maxConnections.Rule(v => v is < 1 or > 2_000_000 ? "--max-connections must be between 1 and 2000000" : null);
maxPerAddress.Rule(v => v is < 0 or > 2_000_000 ? "--max-connections-per-address must be between 0 and 2000000" : null);
proxyAddresses.Validators.Add(r =>
{
    foreach (var a in r.GetValueOrDefault<string[]>() ?? [])
        if (!IPAddress.TryParse(a, out _)) r.AddError($"--proxy-address: '{a}' is not an IP address");
});
headerTimeout.Rule(v => v is < 0.5 or > 300 or double.NaN ? "--header-timeout must be between 0.5 and 300 (seconds)" : null);
queueBytes.Rule(v => v is < 16 * 1024 or > 256 * 1024 * 1024 ? "--listener-queue-bytes must be between 16384 and 268435456" : null);
hlsSegmentSeconds.Rule(v => v is < 1 or > 30 ? "--hls-segment-seconds must be between 1 and 30" : null);
// RFC 8216 6.2.2: a live playlist must last at least three target durations; segments can be a little shorter than one.
hlsWindow.Rule(v => v is < 4 or > 1000 ? "--hls-window must be between 4 and 1000 (segments)" : null);
hlsPeers.Validators.Add(r =>
{
    foreach (var text in r.GetValueOrDefault<string[]>() ?? [])
        if (!HlsPeer.TryParse(text, out _)) r.AddError($"--hls-peer: '{text}' is not an http:// or https:// base URL (http://HOST:PORT)");
});
listenerAuthUrl.Validators.Add(r =>
{
    if (!ListenerAuthSettings.TryParse(r.GetValueOrDefault<string[]>() ?? [], out _, out var error)) r.AddError(error!);
});
listenerAuthHeader.Rule(v => v is null || v.IndexOf(':') <= 0 || v[(v.IndexOf(':') + 1)..].Trim().Length == 0 ? "--listener-auth-header must be NAME: VALUE" : null);
listenerAuthTimeoutMs.Rule(v => v is < 100 or > 60_000 ? "--listener-auth-timeout-ms must be between 100 and 60000" : null);
publicPort.Rule(v => v is < 1 or > 65535 ? "--public-port must be a port number (1-65535)" : null);
foreach (var o in new[] { relayUser, relayPassword, adminUser, adminPassword, hostname })
{
    var name = o.Name;
    o.Validators.Add(r =>
    {
        var v = r.GetValueOrDefault<string>();
        if (string.IsNullOrWhiteSpace(v)) r.AddError($"{name} must not be empty");
        else if (name.EndsWith("-user") && v.Contains(':')) r.AddError($"{name} must not contain ':'");
    });
}

var root = new RootCommand("Davecast edge gateway: rebuilds one unbroken HTTP audio stream per mount from the relays' copies.")
{
    port, address, sites, clustering, gateways, redis, clusterId, edgeName, holdMs, backfillMs, burst, burstSeconds, mountTimeout, writeMs, metaint, maxListeners, maxPerMount,
    maxConnections, maxPerAddress, proxyAddresses, headerTimeout, queueBytes, relayUser, relayPassword, adminUser, adminPassword, hostname, publicPort, location, adminContact,
    listenerAuthUrl, listenerAuthHeader, listenerAuthTimeoutMs, listenerAuthDown, hls, hlsSegmentSeconds, hlsWindow, hlsPeers,
};
root.Validators.Add(r =>
{
    if (r.GetValue(hls)) return;
    foreach (var option in new Option[] { hlsSegmentSeconds, hlsWindow, hlsPeers })
        if (r.GetResult(option) is { Implicit: false }) r.AddError($"{option.Name} applies with --hls only.");
});

root.SetAction(async (parse, ct) =>
{
    var siteList = (parse.GetValue(sites) ?? []).Select(t => SiteSpec.TryParse(t, out var spec, out _) ? spec! : throw new FormatException(t)).ToList();
    if (siteList.Count == 0)
    {
        var id = parse.GetValue(clusterId)!;
        siteList.Add(parse.GetValue(clustering) == "redis"
            ? new SiteSpec(id, id, parse.GetValue(redis)!, [])
            : new SiteSpec(id, id, null, parse.GetValue(gateways)!));
    }
    var edge = new EdgeOptions
    {
        Sites = siteList,
        Hold = TimeSpan.FromMilliseconds(parse.GetValue(holdMs)),
        BurstBytes = parse.GetResult(burst) is null ? null : parse.GetValue(burst),
        BurstSeconds = parse.GetValue(burstSeconds),
        MountTimeout = TimeSpan.FromSeconds(parse.GetValue(mountTimeout)),
        WriteInterval = TimeSpan.FromMilliseconds(parse.GetValue(writeMs)),
        BackfillWait = TimeSpan.FromMilliseconds(parse.GetValue(backfillMs)),
        Name = parse.GetValue(edgeName)!,
        IcyMetaInt = parse.GetValue(metaint),
        MaxListeners = parse.GetValue(maxListeners),
        MaxListenersPerMount = parse.GetValue(maxPerMount),
        MaxConnections = parse.GetValue(maxConnections) ?? parse.GetValue(maxListeners) + EdgeOptions.ConnectionHeadroom,
        MaxConnectionsPerAddress = parse.GetValue(maxPerAddress),
        ProxyAddresses = [.. (parse.GetValue(proxyAddresses) ?? []).Select(IPAddress.Parse)],
        HeaderTimeout = TimeSpan.FromSeconds(parse.GetValue(headerTimeout)),
        ListenerQueueBytes = parse.GetValue(queueBytes),
        RelayUser = parse.GetValue(relayUser)!,
        RelayPassword = parse.GetValue(relayPassword)!,
        AdminUser = parse.GetValue(adminUser)!,
        AdminPassword = parse.GetValue(adminPassword)!,
        Hostname = parse.GetValue(hostname)!,
        PublicPort = parse.GetValue(publicPort) ?? parse.GetValue(port),
        Location = parse.GetValue(location)!,
        AdminContact = parse.GetValue(adminContact)!,
        ListenerAuthTimeout = TimeSpan.FromMilliseconds(parse.GetValue(listenerAuthTimeoutMs)),
        ListenerAuthFailOpen = parse.GetValue(listenerAuthDown) == "open",
        Hls = parse.GetValue(hls),
        HlsSegmentSeconds = parse.GetValue(hlsSegmentSeconds),
        HlsWindow = parse.GetValue(hlsWindow),
        HlsPeers = [.. (parse.GetValue(hlsPeers) ?? []).Select(t => HlsPeer.TryParse(t, out var peer) ? peer! : throw new FormatException(t))],
    };
    ListenerAuthSettings.TryParse(parse.GetValue(listenerAuthUrl) ?? [], out var listenerAuth, out _);
    edge.ListenerAuth = listenerAuth;
    var authHeader = parse.GetValue(listenerAuthHeader)!.Split(':', 2);
    (edge.ListenerAuthHeader, edge.ListenerAuthHeaderValue) = (authHeader[0].Trim(), authHeader[1].Trim());
    var builder = WebApplication.CreateBuilder();
    builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
    // A listener's write is sent on the thread that flushed it, not queued for the socket's own loop: when a publish wakes
    // thousands of listeners at once, each one's pipe buffer goes back to the pool before the next listener takes one,
    // instead of every listener holding one until the sends catch up (fan-out at 3000 listeners: 11.7 KB a listener
    // against 21.2, and less CPU). Nothing in the edge blocks a thread, which is what this asks of it.
    builder.WebHost.UseSockets(o => o.UnsafePreferInlineScheduling = true);
    // Heads after the first on a kept-alive connection are Kestrel's to read: the same time limit applies.
    builder.WebHost.ConfigureKestrel(k => k.Limits.RequestHeadersTimeout = edge.HeaderTimeout);
    builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(parse.GetValue(address)!), parse.GetValue(port), listen => listen
        .Use(next => connection => listen.ApplicationServices.GetRequiredService<IcecastConnectionHandler>().OnConnectionAsync(connection, next))));
    builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
    // A request that does not bind gets a plain 400, never Development's exception page.
    builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
    EdgeLogging.Configure(builder.Logging);
    builder.Services.AddSingleton(Options.Create(edge));
    builder.Services.AddSingleton<MountCatalog>();
    builder.Services.AddHostedService(sp => sp.GetRequiredService<MountCatalog>());
    builder.Services.AddSingleton<ListenerEndpoint>();
    builder.Services.AddSingleton<ConnectionGate>();
    builder.Services.AddSingleton<IcecastConnectionHandler>();
    builder.Services.AddSingleton<IcecastEndpoints>();
    builder.Services.AddSingleton<HlsEndpoints>();
    builder.Services.AddSingleton<AdminXmlEndpoints>();
    builder.Services.AddSingleton<StatusPage>();
    builder.Services.AddSingleton<ListenerAuthHook>();
    builder.Services.AddSingleton<EdgeMetrics>();
    builder.Services.AddPrometheusMetrics("davecast-edge", edge.Name, EdgeMetrics.MeterName);
    builder.Services.AddHealthChecks().AddCheck<EdgeHealthCheck>("edge");

    // Kestrel binds inside the host's start: a port in use names its option.
    builder.Services.NameListenerPorts([(parse.GetValue(port), port.Name)]);
    builder.Logging.Sieve();

    var app = builder.Build();
    app.Services.GetRequiredService<EdgeMetrics>();
    app.Services.GetRequiredService<RuntimeMetrics>();
    // Errors are logged; the client gets one line, in every environment (Development's page would show the stack).
    app.UseExceptionHandler(new ExceptionHandlerOptions
    {
        ExceptionHandler = context =>
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync("Internal server error.\n");
        },
    });
    app.Use((context, next) =>
    {
        context.Response.Headers.Server = IcecastHeaders.Server;
        return next(context);
    });
    app.MapHealthChecks("/healthz");
    app.MapPrometheusScrapingEndpoint();
    app.MapGet("/davecast/health", HealthEndpoint.Get);
    app.Services.GetRequiredService<IcecastEndpoints>().Map(app);
    app.Services.GetRequiredService<AdminXmlEndpoints>().Map(app);
    app.Services.GetRequiredService<HlsEndpoints>().Map(app);
    app.MapMethods("/", ["GET", "HEAD"], app.Services.GetRequiredService<StatusPage>().Get);
    app.MapMethods("/status.xsl", ["GET", "HEAD"], app.Services.GetRequiredService<StatusPage>().Get);
    app.MapMethods("/{**mount}", ["GET", "HEAD"], (HttpContext context, string mount, ListenerEndpoint listeners) => listeners.ServeAsync(context, mount));
    await app.RunAsync(ct);
    return 0;
});

return await ProgramRunner.RunAsync(root, args, "davecast-edge",
    [new SecretOption(relayPassword, EdgeOptions.DevelopmentPassword), new SecretOption(adminPassword, EdgeOptions.DevelopmentPassword)]);
