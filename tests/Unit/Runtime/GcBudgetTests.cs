using System.Text.Json;

namespace Davecast.Tests.Runtime;

/// <summary>The GC settings each program is built with (GcBudget.props), read from its runtimeconfig.json.</summary>
public sealed class GcBudgetTests
{
    [Theory]
    [InlineData("davecast-silo", 8 << 20)]
    [InlineData("davecast-edge", 8 << 20)]
    [InlineData("davecast-publisher", 2 << 20)]
    public void Every_program_collects_gen0_after_a_bounded_budget_not_the_cache_sized_default(string program, long budget)
    {
        // The referenced programs' runtime configurations are copied next to the tests.
        var path = Path.Combine(AppContext.BaseDirectory, program + ".runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.GC.Gen0MaxBudget", out var value), $"{program} has no gen-0 budget");
        Assert.Equal(budget, value.GetInt64());
    }
}
