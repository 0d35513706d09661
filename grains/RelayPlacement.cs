using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Davecast.Grains;

/// <summary>Places a grain keyed by a relay's silo name on that silo, and nowhere else.</summary>
[GenerateSerializer, Immutable]
public sealed class RelayLocalPlacement : PlacementStrategy;

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RelayLocalPlacementAttribute() : PlacementAttribute(new RelayLocalPlacement());

/// <summary>Finds the active silo whose name is the grain's key.</summary>
public sealed class RelayLocalPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var relay = target.GrainIdentity.Key.ToString();
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && member.Name == relay)
                return Task.FromResult(member.SiloAddress);
        }
        throw new OrleansException($"Relay '{relay}' is not an active silo of this cluster.");
    }
}
