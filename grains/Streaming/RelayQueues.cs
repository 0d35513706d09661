using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Streams;

namespace Davecast.Grains.Streaming;

/// <summary>
/// Frame batches travel on streams whose queue lives in the memory of the relay that produced them, and is pulled
/// by that same relay. A relay's death so loses only its own copies; the other relays' streams never pass
/// through it. (Orleans' memory streams keep queues in grains that may sit on any silo.)
/// </summary>
public static class RelayQueueNames
{
    /// <summary>The queue that holds every stream a relay produces.</summary>
    public static QueueId QueueFor(string relay)
    {
        uint hash = Fnv(relay);
        return QueueId.GetQueueId(relay, hash, hash);
    }

    /// <summary>The relay a stream belongs to: its key is "relay/mount".</summary>
    public static string RelayOf(StreamId stream)
    {
        var key = stream.GetKeyAsString();
        int slash = key.IndexOf('/');
        if (slash <= 0) throw new ArgumentException($"stream key '{key}' does not start with a relay name");
        return key[..slash];
    }

    private static uint Fnv(string s)
    {
        uint h = 2166136261;
        foreach (char c in s)
        {
            h ^= c;
            h *= 16777619;
        }
        return h;
    }
}

/// <summary>One relay's queue: a bounded in-memory queue; the oldest batch is dropped when it is full.</summary>
public sealed class LocalQueue(int capacity)
{
    private readonly ConcurrentQueue<RelayBatchContainer> _items = new();
    private long _sequence;
    private long _dropped;

    public long Dropped => Interlocked.Read(ref _dropped);

    public int Count => _items.Count;

    public void Enqueue(StreamId stream, object payload)
    {
        var token = new Orleans.Providers.Streams.Common.EventSequenceTokenV2(Interlocked.Increment(ref _sequence));
        _items.Enqueue(new RelayBatchContainer(stream, token, payload));
        while (_items.Count > capacity && _items.TryDequeue(out _)) Interlocked.Increment(ref _dropped);
    }

    public IList<IBatchContainer> Take(int max)
    {
        var taken = new List<IBatchContainer>(Math.Min(max, Math.Max(_items.Count, 1)));
        while (taken.Count < max && _items.TryDequeue(out var item)) taken.Add(item);
        return taken;
    }
}

/// <summary>The queues that live in this process (one per relay name; a silo has only its own).</summary>
public sealed class LocalQueueRegistry
{
    private readonly ConcurrentDictionary<QueueId, LocalQueue> _queues = new();

    public int Capacity { get; set; } = 4096;

    public LocalQueue Get(QueueId id) => _queues.GetOrAdd(id, _ => new LocalQueue(Capacity));

    public long Dropped => _queues.Values.Sum(q => q.Dropped);
}

/// <summary>One stream event as it sits in a relay's queue and travels to consumers.</summary>
[GenerateSerializer]
public sealed class RelayBatchContainer(StreamId streamId, StreamSequenceToken token, object payload) : IBatchContainer
{
    [Id(0)] public StreamId StreamId { get; } = streamId;

    [Id(1)] public StreamSequenceToken SequenceToken { get; } = token;

    [Id(2)] public object Payload { get; } = payload;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>() =>
        Payload is T t ? [Tuple.Create(t, SequenceToken)] : [];

    public bool ImportRequestContext() => false;
}
