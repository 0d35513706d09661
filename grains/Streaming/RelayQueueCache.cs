using Orleans.Runtime;
using Orleans.Streams;

namespace Davecast.Grains.Streaming;

/// <summary>
/// Pulling-agent cache of a relay queue: the last few batches of each stream. It never pushes back on the queue:
/// a consumer that falls behind skips ahead (the edge notices the gap and backfills from the relay's window),
/// so one slow edge cannot hold up the others.
/// </summary>
public sealed class RelayQueueCache : IQueueCache
{
    /// <summary>Batches kept per stream (at 100 ms a batch, over six seconds).</summary>
    public const int PerStream = 64;

    private readonly Dictionary<StreamId, Bucket> _buckets = [];
    private readonly Lock _gate = new();

    public int GetMaxAddCount() => 1024;

    public void AddToCache(IList<IBatchContainer> messages)
    {
        lock (_gate)
        {
            foreach (var m in messages)
            {
                if (!_buckets.TryGetValue(m.StreamId, out var bucket)) _buckets[m.StreamId] = bucket = new Bucket();
                bucket.Add(m);
            }
        }
    }

    public bool TryPurgeFromCache(out IList<IBatchContainer> purgedItems)
    {
        purgedItems = null!;
        return false;
    }

    public IQueueCacheCursor GetCacheCursor(StreamId streamId, StreamSequenceToken? token)
    {
        lock (_gate)
        {
            if (!_buckets.TryGetValue(streamId, out var bucket)) _buckets[streamId] = bucket = new Bucket();
            long start = token is null ? bucket.NewestNumber : bucket.FirstAtOrAfter(token);
            return new Cursor(this, bucket, start);
        }
    }

    public bool IsUnderPressure() => false;

    private sealed class Bucket
    {
        private readonly IBatchContainer?[] _items = new IBatchContainer?[PerStream];

        /// <summary>Number the next batch added gets; batch n sits at n % PerStream.</summary>
        public long Next { get; private set; }

        public long NewestNumber => Math.Max(0, Next - 1);

        public void Add(IBatchContainer item)
        {
            _items[Next % PerStream] = item;
            Next++;
        }

        public long FirstAtOrAfter(StreamSequenceToken token)
        {
            for (long n = Math.Max(0, Next - PerStream); n < Next; n++)
                if (_items[n % PerStream] is { } item && !item.SequenceToken.Older(token)) return n;
            return Next;
        }

        public IBatchContainer? Get(long number, out long actual)
        {
            actual = Math.Max(number, Next - PerStream);
            return actual < Next ? _items[actual % PerStream] : null;
        }
    }

    private sealed class Cursor(RelayQueueCache cache, Bucket bucket, long next) : IQueueCacheCursor
    {
        private IBatchContainer? _current;

        public IBatchContainer? GetCurrent(out Exception? exception)
        {
            exception = null;
            return _current;
        }

        public bool MoveNext()
        {
            lock (cache._gate)
            {
                _current = bucket.Get(next, out long actual);
                if (_current is null) return false;
                next = actual + 1;
                return true;
            }
        }

        public void Refresh(StreamSequenceToken token)
        {
        }

        public void RecordDeliveryFailure()
        {
        }

        public void Dispose()
        {
        }
    }
}
