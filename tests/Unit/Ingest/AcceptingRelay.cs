using Davecast.Silo;
using Davecast.Silo.Ingest;
using Davecast.Silo.Window;
using Davecast.Wire;
using Microsoft.Extensions.Options;

namespace Davecast.Tests.Ingest;

/// <summary>A relay's mount table, window and packet acceptor without sockets or a cluster, fed packets directly.</summary>
internal sealed class AcceptingRelay
{
    public AcceptingRelay(double windowSeconds = 10, Action<RelayOptions>? configure = null, KeyRing? keys = null)
    {
        var relay = new RelayOptions { Name = "relay-t", Window = TimeSpan.FromSeconds(windowSeconds) };
        configure?.Invoke(relay);
        var options = Options.Create(relay);
        Table = new MountTable(options);
        Window = new RelayWindow(options, Table);
        Acceptor = new PacketAcceptor(Table, Window, keys ?? KeyRing.Development, Counters, TimeProvider.System);
    }

    public IngestCounters Counters { get; } = new();

    public MountTable Table { get; }

    public RelayWindow Window { get; }

    public PacketAcceptor Acceptor { get; }

    /// <summary>The one encoder session of the one mount fed so far.</summary>
    public EncoderState OnlyEncoder => Table.Mounts.Single().Encoders.Values.Single();

    /// <summary>Parses a packet and takes it as one whose tag was verified; both must succeed.</summary>
    public void Take(ReadOnlySpan<byte> packet)
    {
        Assert.Equal(RejectReason.None, PacketCodec.TryParse(packet, out var view));
        Assert.Equal(RejectReason.None, Acceptor.Take(view, out _));
    }
}
