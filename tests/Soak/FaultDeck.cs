namespace Davecast.Tests.Soak;

/// <summary>
/// The order of the soak's drawn faults, as a shuffled deck: each cycle of <c>kinds</c> faults deals every kind once,
/// in an order drawn from <paramref name="random"/> (the soak's seeded one, so a seed replays it). A run of three
/// cycles thus meets every kind three times, where independent draws could miss one altogether.
/// </summary>
public sealed class FaultDeck(int kinds, Random random)
{
    private readonly Queue<int> _cycle = new();

    /// <summary>The next kind, 0 to kinds - 1.</summary>
    public int Next()
    {
        if (_cycle.Count == 0)
        {
            var order = Enumerable.Range(0, kinds).ToArray();
            random.Shuffle(order);
            foreach (int kind in order) _cycle.Enqueue(kind);
        }
        return _cycle.Dequeue();
    }
}
