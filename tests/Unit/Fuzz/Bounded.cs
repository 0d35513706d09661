namespace Davecast.Tests.Fuzz;

/// <summary>Runs a property with a generous deadline: one that never finishes means a parser loops.</summary>
public static class Bounded
{
    public static void Run(Action property, string what)
    {
        var run = Task.Run(property);
        Assert.True(run.Wait(TimeSpan.FromMinutes(2)), $"{what} did not finish within 2 minutes: a parser loops");
    }
}
