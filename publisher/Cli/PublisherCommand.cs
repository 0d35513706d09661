using Davecast.Cli;
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Text;
using Davecast.Frames;
using Davecast.Publisher.Pacing;
using Davecast.Publisher.Sources;
using Davecast.Wire;

namespace Davecast.Publisher.Cli;

/// <summary>The command line of davecast-publisher: options, their defaults and validation.</summary>
public sealed class PublisherCommand
{
    private readonly Option<string> _mount = new("--mount")
    {
        Description = "Mount point to publish, e.g. live.aac or /live.aac",
        Required = true,
    };

    private readonly Option<string> _encoder = new("--encoder")
    {
        Description = "Encoder id, unique among the publishers of one mount",
        DefaultValueFactory = _ => DefaultEncoderId(),
    };

    private readonly Option<RelayAddress[]> _relays = new("--relay")
    {
        Description = "Relay to send to, as host:port; repeat for each relay: --relay a:9001 --relay b:9001",
        CustomParser = ParseRelays,
    };

    private readonly Option<MulticastGroup[]> _multicast = new("--multicast")
    {
        Description = "Multicast group to send every packet to as well, as group:port (e.g. 239.255.0.1:9002; IPv6 in brackets); "
            + "repeatable. Relays that joined the group receive it. Path id: group index * 4 + 2",
        CustomParser = ParseGroups,
    };

    private readonly Option<string> _multicastInterface = new("--multicast-interface")
    {
        Description = "IP address of the interface multicast leaves by; loopback reaches relays on this machine only",
        DefaultValueFactory = _ => "127.0.0.1",
    };

    private readonly Option<int> _multicastTtl = new("--multicast-ttl")
    {
        Description = "Hops a multicast datagram may cross, 0-255 (1: the local network only)",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<string?> _startAt = new("--start-at")
    {
        Description = "Wall-clock time to start at, as Unix seconds (1767225600.5) or ISO-8601 UTC (2026-01-01T00:00:00.5Z), "
            + "within an hour of now. Frame k is stamped start + k frames' duration, so publishers of one programme given "
            + "the same time stamp the same position alike; a time already past skips the frames whose time is over. "
            + "(default: at once)",
    };

    private readonly Option<string> _transport = new("--transport")
    {
        Description = "Transports used to each relay: udp, tcp or both",
        DefaultValueFactory = _ => "both",
    };

    private readonly Option<string?> _file = new("--file") { Description = "Read frames from this file" };

    private readonly Option<bool> _loop = new("--loop") { Description = "Replay --file forever" };

    private readonly Option<bool> _stdin = new("--stdin") { Description = "Read frames from standard input" };

    private readonly Option<string?> _sourceUrl = new("--source-url")
    {
        Description = "Pull frames from this Icecast or HTTP mount, http://[user:password@]host[:port]/mount, with its icy-* "
            + "headers and stream titles; reconnects when it drops or refuses",
    };

    private readonly Option<double> _reconnectMax = new("--reconnect-max")
    {
        Description = "Longest wait in seconds between attempts to reconnect to --source-url (0.5-3600); waits start at 0.5 s and double",
        DefaultValueFactory = _ => 10,
    };

    private readonly Option<string?> _listenSource = new("--listen-source")
    {
        Description = "Accept Icecast source clients (ffmpeg, Liquidsoap, BUTT, DarkIce) at this address, as ip:port (e.g. 0.0.0.0:8001): "
            + "PUT or SOURCE of --mount, and GET /admin/metadata?mode=updinfo for titles",
    };

    private readonly Option<string> _sourceUser = new("--source-user")
    {
        Description = "User name of source clients at --listen-source",
        DefaultValueFactory = _ => "source",
    };

    private readonly Option<string> _sourcePassword = new("--source-password")
    {
        Description = "Password of source clients at --listen-source",
        DefaultValueFactory = _ => "hackme",
    };

    private readonly Option<string> _adminUser = new("--admin-user")
    {
        Description = "A second user at --listen-source that may update titles (/admin/metadata), with --admin-password",
        DefaultValueFactory = _ => "admin",
    };

    private readonly Option<string?> _adminPassword = new("--admin-password")
    {
        Description = "Password of --admin-user (default: none; only the source login updates titles)",
    };

    private readonly Option<int> _sourceHeaderBytes = new("--source-header-bytes")
    {
        Description = "Largest request head a connection to --listen-source may send (1024-1048576); a longer one is answered 431 and closed",
        DefaultValueFactory = _ => SourcePortLimits.Default.HeaderBytes,
    };

    private readonly Option<double> _sourceHeaderTimeout = new("--source-header-timeout")
    {
        Description = "Seconds a connection to --listen-source may take to send its whole request head and be answered (0.5-300); "
            + "then it is closed, so that a client trickling bytes holds nothing for long",
        DefaultValueFactory = _ => SourcePortLimits.Default.HeaderTimeout.TotalSeconds,
    };

    private readonly Option<int> _sourceMaxPending = new("--source-max-pending")
    {
        Description = "Connections to --listen-source whose request is still being read or answered, not yet a streaming source client "
            + "(1-10000); more are closed at once. Refusals are logged once per --stats-interval (10 s when 0), with their counts",
        DefaultValueFactory = _ => SourcePortLimits.Default.MaxPending,
    };

    private readonly Option<string?> _metricsListen = new("--metrics-listen")
    {
        Description = "Serve Prometheus metrics (GET /metrics: frames and packets sent, source port connections and refusals by cap) at this "
            + "address, as ip:port, or a port alone for 127.0.0.1:port; keep it off the public network (default: none)",
    };

    private readonly Option<string> _codec = new("--codec")
    {
        Description = "Codec of the source: auto (detected from the frames), aac (ADTS) or mp3 (MPEG audio)",
        DefaultValueFactory = _ => "auto",
    };

    private readonly Option<int> _priority = new("--priority")
    {
        Description = "Election priority, 0-255: the encoder with the HIGHEST value is preferred",
        DefaultValueFactory = _ => 100,
    };

    private readonly Option<string> _keyId = new("--key-id")
    {
        Description = "Id of the HMAC key, as the relays know it",
        DefaultValueFactory = _ => Protocol.DevelopmentKeyId,
    };

    private readonly Option<string> _key = new("--key")
    {
        Description = "HMAC secret (its UTF-8 bytes are the key)",
        DefaultValueFactory = _ => Protocol.DevelopmentSecret,
    };

    private readonly Option<int> _framesPerPacket = new("--frames-per-packet")
    {
        Description = $"Most frames in one packet, 1-{Protocol.MaxFramesPerPacket}",
        DefaultValueFactory = _ => 1,
    };

    private readonly Option<int> _maxDatagram = new("--max-datagram")
    {
        Description = "Largest packet in bytes; a packet is bigger only when one frame alone is",
        DefaultValueFactory = _ => Protocol.DefaultMaxDatagram,
    };

    private readonly Option<string?> _name = new("--name") { Description = "Stream name (icy-name)" };
    private readonly Option<string?> _genre = new("--genre") { Description = "Genre (icy-genre)" };
    private readonly Option<string?> _description = new("--description") { Description = "Description (icy-description)" };
    private readonly Option<string?> _url = new("--url") { Description = "Station web page (icy-url)" };
    private readonly Option<bool> _public = new("--public") { Description = "List the stream in directories (icy-pub: 1)" };
    private readonly Option<string?> _title = new("--title") { Description = "Initial stream title (StreamTitle)" };

    private readonly Option<double> _statsInterval = new("--stats-interval")
    {
        Description = "Seconds between statistics log lines; 0 turns them off",
        DefaultValueFactory = _ => 10,
    };

    public PublisherCommand()
    {
        Root = new RootCommand(
            "Publishes an AAC (ADTS) or MP3 stream to Davecast relays: splits it into frames, paces them in real time "
            + "and sends every frame to every relay over UDP and TCP, and to multicast groups if given.");
        Option[] options =
        [
            _mount, _encoder, _relays, _transport, _multicast, _multicastInterface, _multicastTtl, _startAt, _file, _loop, _stdin,
            _sourceUrl, _reconnectMax, _listenSource, _sourceUser, _sourcePassword, _adminUser, _adminPassword, _sourceHeaderBytes,
            _sourceHeaderTimeout, _sourceMaxPending, _metricsListen, _codec, _priority, _keyId, _key,
            _framesPerPacket, _maxDatagram, _name, _genre, _description, _url, _public, _title, _statsInterval,
        ];
        foreach (var option in options) Root.Options.Add(option);

        _mount.Validators.Add(r => Check(r, _mount.Name, ValidateMount(r.GetValueOrDefault<string>())));
        _encoder.Validators.Add(r => Check(r, _encoder.Name, ValidateName(r.GetValueOrDefault<string>(), Protocol.MaxEncoderLength)));
        _keyId.Validators.Add(r => Check(r, _keyId.Name, ValidateName(r.GetValueOrDefault<string>(), Protocol.MaxKeyIdLength)));
        _key.Validators.Add(r => Check(r, _key.Name, string.IsNullOrEmpty(r.GetValueOrDefault<string>()) ? "must not be empty" : null));
        _transport.Validators.Add(r => CheckChoice(r, _transport.Name, "udp", "tcp", "both"));
        _codec.Validators.Add(r => CheckChoice(r, _codec.Name, "auto", "aac", "mp3"));
        _priority.Validators.Add(r => CheckRange(r, _priority.Name, 0, 255));
        _multicastTtl.Validators.Add(r => CheckRange(r, _multicastTtl.Name, 0, 255));
        _multicastInterface.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>();
            Check(r, _multicastInterface.Name, !IPAddress.TryParse(text, out var ip) ? $"'{text}' is not an IP address"
                : !MulticastGroup.IsLocalInterface(ip) ? $"{ip} is not an address of this machine's interfaces"
                : null);
        });
        _startAt.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string?>();
            if (string.IsNullOrWhiteSpace(text)) Check(r, _startAt.Name, "needs a time");
            else if (!StartTime.TryParse(text, DateTimeOffset.UtcNow, out _, out var error)) Check(r, _startAt.Name, error);
        });
        _framesPerPacket.Validators.Add(r => CheckRange(r, _framesPerPacket.Name, 1, Protocol.MaxFramesPerPacket));
        _maxDatagram.Validators.Add(r => CheckRange(r, _maxDatagram.Name, 128, Protocol.MaxPacketSize));
        _file.Validators.Add(r =>
        {
            var path = r.GetValueOrDefault<string?>();
            Check(r, _file.Name, string.IsNullOrEmpty(path) ? "needs a path" : File.Exists(path) ? null : $"'{path}' does not exist");
        });
        _sourceUrl.Validators.Add(r => Check(r, _sourceUrl.Name, ValidateUrl(r.GetValueOrDefault<string?>())));
        _reconnectMax.Validators.Add(r =>
        {
            // A value that is not a number is reported by the parser.
            if (TryGetValue(r, out double v)) Check(r, _reconnectMax.Name, double.IsFinite(v) && v is >= 0.5 and <= 3600 ? null : "must be 0.5-3600 seconds");
        });
        _listenSource.Validators.Add(r =>
        {
            if (!TryParseListen(r.GetValueOrDefault<string?>(), out _, out var error)) Check(r, _listenSource.Name, error);
        });
        _metricsListen.Validators.Add(r =>
        {
            if (!TryParseMetricsListen(r.GetValueOrDefault<string?>(), out _, out var error)) Check(r, _metricsListen.Name, error);
        });
        foreach (var user in new[] { _sourceUser, _adminUser })
        {
            var name = user.Name;
            user.Validators.Add(r => Check(r, name, ValidateUser(r.GetValueOrDefault<string>())));
        }
        foreach (var password in new Option[] { _sourcePassword, _adminPassword })
        {
            var name = password.Name;
            password.Validators.Add(r => Check(r, name, string.IsNullOrEmpty(r.GetValueOrDefault<string?>()) ? "must not be empty" : null));
        }
        _sourceHeaderBytes.Validators.Add(r => CheckRange(r, _sourceHeaderBytes.Name, 1024, 1024 * 1024));
        _sourceMaxPending.Validators.Add(r => CheckRange(r, _sourceMaxPending.Name, 1, 10_000));
        _sourceHeaderTimeout.Validators.Add(r =>
        {
            if (TryGetValue(r, out double v)) Check(r, _sourceHeaderTimeout.Name, double.IsFinite(v) && v is >= 0.5 and <= 300 ? null : "must be 0.5-300 seconds");
        });
        _statsInterval.Validators.Add(r =>
        {
            if (TryGetValue(r, out double v)) Check(r, _statsInterval.Name, double.IsFinite(v) && v is >= 0 and <= 86_400 ? null : "must be 0-86400 seconds");
        });
        foreach (var text in new[] { _name, _genre, _description, _url })
        {
            var name = text.Name;
            text.Validators.Add(r => Check(r, name, ValidateText(r.GetValueOrDefault<string?>(), 1024)));
        }
        _title.Validators.Add(r => Check(r, _title.Name, ValidateText(r.GetValueOrDefault<string?>(), 4096)));
        Root.Validators.Add(ValidateSource);
    }

    public RootCommand Root { get; }

    /// <summary>The secrets that must not keep their development values outside Development.</summary>
    public IReadOnlyList<SecretOption> Secrets =>
    [
        new(_key, Protocol.DevelopmentSecret),
        new(_sourcePassword, "hackme", r => r.GetResult(_listenSource) is not null),
        new(_adminPassword, "hackme", r => r.GetResult(_adminPassword) is not null),
    ];

    /// <summary>The run's options, from a parse result without errors.</summary>
    public PublisherOptions ToOptions(ParseResult r)
    {
        var headers = new List<KeyValuePair<string, string>>();
        AddHeader(headers, "icy-name", r.GetValue(_name));
        AddHeader(headers, "icy-genre", r.GetValue(_genre));
        AddHeader(headers, "icy-description", r.GetValue(_description));
        AddHeader(headers, "icy-url", r.GetValue(_url));
        // Only what was given: the source's headers fill in the rest (StationInfo.Merge).
        if (r.GetResult(_public) is { Implicit: false }) headers.Add(new("icy-pub", r.GetValue(_public) ? "1" : "0"));
        TryParseListen(r.GetValue(_listenSource), out var listen, out _);
        TryParseMetricsListen(r.GetValue(_metricsListen), out var metrics, out _);

        return new PublisherOptions
        {
            Mount = MountName.Normalize(r.GetValue(_mount)!),
            EncoderId = r.GetValue(_encoder)!,
            Relays = r.GetValue(_relays) ?? [],
            Multicast = r.GetValue(_multicast) ?? [],
            MulticastInterface = IPAddress.Parse(r.GetValue(_multicastInterface)!),
            MulticastTtl = r.GetValue(_multicastTtl),
            StartAtMicros = r.GetValue(_startAt) is { } start && StartTime.TryParse(start, DateTimeOffset.UtcNow, out long micros, out _) ? micros : null,
            Transports = r.GetValue(_transport) switch { "udp" => Transports.Udp, "tcp" => Transports.Tcp, _ => Transports.Both },
            File = r.GetValue(_file),
            Loop = r.GetValue(_loop),
            SourceUrl = r.GetValue(_sourceUrl) is { } url ? new Uri(url) : null,
            ReconnectMax = TimeSpan.FromSeconds(r.GetValue(_reconnectMax)),
            ListenSource = listen,
            MetricsListen = metrics,
            SourceLogin = new Credentials(r.GetValue(_sourceUser)!, r.GetValue(_sourcePassword)!),
            SourceLimits = new SourcePortLimits(
                r.GetValue(_sourceHeaderBytes), TimeSpan.FromSeconds(r.GetValue(_sourceHeaderTimeout)), r.GetValue(_sourceMaxPending)),
            AdminLogin = r.GetValue(_adminPassword) is { } adminPassword ? new Credentials(r.GetValue(_adminUser)!, adminPassword) : null,
            Codec = r.GetValue(_codec) switch { "aac" => CodecKind.Aac, "mp3" => CodecKind.Mpeg, _ => CodecKind.Unknown },
            Priority = (byte)r.GetValue(_priority),
            KeyId = r.GetValue(_keyId)!,
            Key = r.GetValue(_key)!,
            FramesPerPacket = r.GetValue(_framesPerPacket),
            MaxDatagram = r.GetValue(_maxDatagram),
            IcyHeaders = headers,
            Title = string.IsNullOrEmpty(r.GetValue(_title)) ? null : r.GetValue(_title),
            StatsInterval = TimeSpan.FromSeconds(r.GetValue(_statsInterval)),
        };
    }

    private void ValidateSource(CommandResult r)
    {
        if (r.GetResult(_relays) is null && r.GetResult(_multicast) is null)
            r.AddError("Give at least one --relay <host:port> (or a --multicast group).");
        bool file = r.GetResult(_file) is not null;
        bool stdin = r.GetValue(_stdin);
        bool url = r.GetResult(_sourceUrl) is not null;
        bool listen = r.GetResult(_listenSource) is not null;
        int sources = (file ? 1 : 0) + (stdin ? 1 : 0) + (url ? 1 : 0) + (listen ? 1 : 0);
        if (sources != 1)
        {
            r.AddError("Give exactly one source: --file <path>, --stdin, --source-url <url> or --listen-source <ip:port>.");
        }
        else if (r.GetValue(_loop) && !file)
        {
            r.AddError("--loop needs --file (other sources cannot be replayed).");
        }
        if (IsGiven(r, _reconnectMax) && !url) r.AddError("--reconnect-max applies to --source-url only.");
        foreach (var option in new Option[] { _sourceUser, _sourcePassword, _adminUser, _adminPassword, _sourceHeaderBytes, _sourceHeaderTimeout, _sourceMaxPending })
            if (IsGiven(r, option) && !listen) r.AddError($"{option.Name} applies to --listen-source only.");
        if (r.GetResult(_startAt) is not null && (url || listen))
            r.AddError("--start-at applies to --file and --stdin only: a live source's frames come when the source sends them.");
    }

    private static bool IsGiven(CommandResult r, Option option) => r.GetResult(option) is { Implicit: false };

    private static string? ValidateUrl(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "needs a URL";
        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0
            ? null
            : $"'{WithoutLogin(text)}' is not an http:// or https:// URL";
    }

    // A URL as it may be shown: its user:password@, if any, masked.
    private static string WithoutLogin(string url)
    {
        int start = url.IndexOf("://", StringComparison.Ordinal) is int scheme and >= 0 ? scheme + 3 : 0;
        int at = url.LastIndexOf('@');
        return at >= start ? url[..start] + "***" + url[at..] : url;
    }

    private static string? ValidateUser(string? user) =>
        string.IsNullOrEmpty(user) ? "must not be empty"
        : user.Contains(':') ? "must not contain ':'"
        : ValidateText(user, 255);

    // ip:port ([v6]:port), or localhost:port.
    private static bool TryParseListen(string? text, out IPEndPoint? endpoint, out string error)
    {
        endpoint = null;
        error = "needs ip:port";
        if (string.IsNullOrWhiteSpace(text) || !RelayAddress.TryParse(text, out var address, out error)) return false;
        var ip = address!.Host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(address.Host, out var parsed) ? parsed : null;
        if (ip is null)
        {
            error = $"'{address.Host}' is not an IP address (0.0.0.0 listens on every interface)";
            return false;
        }
        endpoint = new IPEndPoint(ip, address.Port);
        return true;
    }

    // As --listen-source, or a port alone on loopback: metrics are for the operator's scraper, not the network.
    private static bool TryParseMetricsListen(string? text, out IPEndPoint? endpoint, out string error)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            text = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        }
        return TryParseListen(text, out endpoint, out error);
    }

    private static RelayAddress[]? ParseRelays(ArgumentResult r)
    {
        var relays = new List<RelayAddress>();
        foreach (var token in r.Tokens)
        {
            if (!RelayAddress.TryParse(token.Value, out var relay, out var error))
            {
                r.AddError($"--relay: {error}");
                return null;
            }
            relays.Add(relay!);
        }
        // Path ids are relay index * 4 + transport, in one byte.
        if (relays.Count > 64) r.AddError("--relay: at most 64 relays");
        return relays.ToArray();
    }

    private static MulticastGroup[]? ParseGroups(ArgumentResult r)
    {
        var groups = new List<MulticastGroup>();
        foreach (var token in r.Tokens)
        {
            if (!MulticastGroup.TryParse(token.Value, out var group, out var error))
            {
                r.AddError($"--multicast: {error}");
                return null;
            }
            groups.Add(group!);
        }
        // Path ids are group index * 4 + 2, in one byte.
        if (groups.Count > 64) r.AddError("--multicast: at most 64 groups");
        return groups.ToArray();
    }

    private static string? ValidateMount(string? mount)
    {
        if (string.IsNullOrWhiteSpace(mount)) return "must not be empty";
        try
        {
            var normalized = MountName.Normalize(mount);
            return Encoding.UTF8.GetByteCount(normalized) > Protocol.MaxMountLength ? $"must be at most {Protocol.MaxMountLength} bytes" : null;
        }
        catch (ArgumentException e)
        {
            return e.Message;
        }
    }

    private static string? ValidateName(string? value, int maxBytes) =>
        string.IsNullOrEmpty(value) ? "must not be empty"
        : Encoding.UTF8.GetByteCount(value) > maxBytes ? $"must be at most {maxBytes} bytes"
        : null;

    private static string? ValidateText(string? value, int maxBytes) =>
        value is not null && Encoding.UTF8.GetByteCount(value) > maxBytes ? $"must be at most {maxBytes} bytes" : null;

    private static void CheckChoice(OptionResult r, string option, params string[] choices)
    {
        var value = r.GetValueOrDefault<string>();
        Check(r, option, choices.Contains(value) ? null : $"'{value}' is not one of: {string.Join(", ", choices)}");
    }

    private static void CheckRange(OptionResult r, string option, int min, int max)
    {
        int value = r.GetValueOrDefault<int>();
        Check(r, option, value >= min && value <= max
            ? null
            : $"{value.ToString(CultureInfo.InvariantCulture)} is out of range ({min}-{max})");
    }

    private static bool TryGetValue<T>(OptionResult r, out T value)
    {
        try
        {
            value = r.GetValueOrDefault<T>();
            return true;
        }
        catch (InvalidOperationException)
        {
            value = default!;
            return false;
        }
    }

    private static void Check(OptionResult r, string option, string? error)
    {
        if (error is not null) r.AddError($"{option}: {error}");
    }

    private static void AddHeader(List<KeyValuePair<string, string>> headers, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value)) headers.Add(new(name, value));
    }

    private static string DefaultEncoderId()
    {
        var host = Environment.MachineName;
        return host.Length is > 0 and <= Protocol.MaxEncoderLength ? host : "publisher";
    }
}
