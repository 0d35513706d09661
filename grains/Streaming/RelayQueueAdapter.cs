using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Streams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Davecast.Grains.Streaming;

/// <summary>
/// Queue adapter of the relay streams: producing enqueues into this relay's own <see cref="LocalQueue"/>; the
/// pulling agent of the same relay reads it back. Edges (clients) only consume.
/// </summary>
public sealed class RelayQueueAdapterFactory(string name, LocalQueueRegistry? queues, string? localRelay)
    : IQueueAdapterFactory, IQueueAdapter, IStreamQueueMapper, IQueueAdapterCache
{
    public static RelayQueueAdapterFactory ForSilo(IServiceProvider services, string name) =>
        new(name, services.GetRequiredService<LocalQueueRegistry>(), services.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);

    public static RelayQueueAdapterFactory ForClient(IServiceProvider services, string name) => new(name, null, null);

    public string Name { get; } = name;

    public bool IsRewindable => false;

    public StreamProviderDirection Direction => queues is null ? StreamProviderDirection.ReadOnly : StreamProviderDirection.ReadWrite;

    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => Task.FromResult<IQueueAdapter>(this);

    public Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken) => Task.FromResult<IQueueAdapter>(this);

    public IQueueAdapterCache GetQueueAdapterCache() => this;

    public IStreamQueueMapper GetStreamQueueMapper() => this;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new NoOpFailureHandler());

    public Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (queues is null || localRelay is null) throw new InvalidOperationException("Only relay silos produce relay streams.");
        var relay = RelayQueueNames.RelayOf(streamId);
        if (relay != localRelay) throw new InvalidOperationException($"Relay '{localRelay}' cannot produce on relay '{relay}''s stream.");
        var queue = queues.Get(RelayQueueNames.QueueFor(relay));
        foreach (var e in events) queue.Enqueue(streamId, e!);
        return Task.CompletedTask;
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId)
    {
        if (queues is null) throw new InvalidOperationException("Clients do not pull relay queues.");
        return new Receiver(queues.Get(queueId));
    }

    public IEnumerable<QueueId> GetAllQueues() => localRelay is null ? [] : [RelayQueueNames.QueueFor(localRelay)];

    public QueueId GetQueueForStream(StreamId streamId) => RelayQueueNames.QueueFor(RelayQueueNames.RelayOf(streamId));

    public IQueueCache CreateQueueCache(QueueId queueId) => new RelayQueueCache();

    private sealed class Receiver(LocalQueue queue) : IQueueAdapterReceiver
    {
        public Task Initialize(TimeSpan timeout) => Task.CompletedTask;

        [Obsolete("Use the overload which accepts a CancellationToken.")]
        public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => Task.FromResult(queue.Take(maxCount < 0 ? 1024 : maxCount));

        public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken) =>
            Task.FromResult(queue.Take(maxCount < 0 ? 1024 : maxCount));

        [Obsolete("Use the overload which accepts a CancellationToken.")]
        public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => Task.CompletedTask;

        public Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task Shutdown(TimeSpan timeout) => Task.CompletedTask;
    }

    private sealed class NoOpFailureHandler : IStreamFailureHandler
    {
        public bool ShouldFaultSubsriptionOnError => false;

        public Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken) => Task.CompletedTask;

        public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken) => Task.CompletedTask;
    }
}

/// <summary>Each relay pulls exactly its own queue, and nobody else's.</summary>
public sealed class RelayQueueBalancer(string localRelay) : IStreamQueueBalancer
{
    public static IStreamQueueBalancer Create(IServiceProvider services, string name) =>
        new RelayQueueBalancer(services.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);

    public Task Initialize(IStreamQueueMapper queueMapper) => Task.CompletedTask;

    public Task Shutdown() => Task.CompletedTask;

    public IEnumerable<QueueId> GetMyQueues() => [RelayQueueNames.QueueFor(localRelay)];

    public bool SubscribeToQueueDistributionChangeEvents(IStreamQueueBalanceListener observer) => true;

    public bool UnSubscribeFromQueueDistributionChangeEvents(IStreamQueueBalanceListener observer) => true;
}
