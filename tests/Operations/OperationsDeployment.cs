using Davecast.Tests.Support;

namespace Davecast.Tests.Operations;

/// <summary>
/// One deployment shared by the operations tests: two relays, one edge, and two mounts, each with a publisher
/// (programme.aac from encoder studio-aac, programme.mp3 from studio-mp3). Started once, both mounts playing.
/// </summary>
public sealed class OperationsDeployment : IAsyncLifetime
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "ops-test-secret";

    public static readonly (string Mount, string Encoder)[] Mounts = [("programme.aac", "studio-aac"), ("programme.mp3", "studio-mp3")];

    public Deployment Deployment { get; } = new();

    public Deployment.Edge Edge { get; private set; } = null!;

    public IReadOnlyList<Deployment.Relay> Relays => [.. Deployment.Relays];

    public static string Dashboard(Deployment.Relay relay, string path = "/") => $"http://127.0.0.1:{relay.DashboardPort}{path}";

    public async Task InitializeAsync()
    {
        try
        {
            string[] credentials = ["--admin-user", AdminUser, "--admin-password", AdminPassword];
            // The Orleans Dashboard is opt-in: relay-a serves it, relay-b shows what a relay gives by default.
            await Deployment.StartRelayAsync("relay-a", [.. credentials, "--orleans-dashboard"]);
            var relayB = Deployment.StartRelayAsync("relay-b", credentials);
            Edge = await Deployment.StartEdgeAsync();
            await relayB;
            foreach (var (mount, encoder) in Mounts) Deployment.StartPublisher(encoder, mount, Repo.Fixture(mount), priority: 100);
            foreach (var (mount, _) in Mounts) await Wait.ForMountAsync(Edge.Url(mount), TimeSpan.FromSeconds(60));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"the deployment did not come up: {e.Message}\n{Deployment.Logs()}", e);
        }
    }

    public Task DisposeAsync() => Deployment.DisposeAsync().AsTask();
}
