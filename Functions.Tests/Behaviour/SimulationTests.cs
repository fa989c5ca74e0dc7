using Cordon.World;
using Cordon.Local.Simulation;

namespace Cordon.Tests.Behaviour;

/// <summary>The simulator against an in-process host: a 200-agent site with team leads and two bribed insiders.</summary>
public sealed class SimulationTests
{
    [Fact]
    public async Task Three_days_of_an_IST_site_catch_and_contain_both_slow_harvesters_and_contain_no_innocent()
    {
        await using TestHost host = await TestHost.StartAsync();
        WorldModel world = WorldModel.Load(Repo.Path("samples/world.json"));
        SiteSimulation sim = SiteSimulation.Generate(world, siteId: "fab-indore-1", agents: 40, hours: 72, insiders: 2, seed: 7,
            start: new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero), rates: [25, 60]);

        SimulationReport report = await SimulationRun.RunAsync(host.Http, sim, batchSize: 2000, progress: null, CancellationToken.None);

        Assert.Equal(2, report.Insiders.Count);
        Assert.Equal(report.Insiders.Order(), report.Caught.Order());
        Assert.Equal(report.Insiders.Order(), report.ContainedAt.Keys.Where(report.Insiders.Contains).Order());
        Assert.All(report.Insiders, u => Assert.InRange(SimulationRun.Harvested(sim, u, report.ContainedAt[u]), 30, 50));
        Assert.Empty(report.InnocentsContained);
        Assert.InRange(report.FalsePositives.Count, 0, 1);
        Assert.Equal(report.Events, report.Accepted);
        foreach (string flagged in report.Caught)
        {
            Assert.Contains(flagged, report.Explanations.Keys);
            Assert.Contains("cumulative-no-business-need", report.Explanations[flagged], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_same_seed_simulates_the_same_site()
    {
        WorldModel world = WorldModel.Load(Repo.Path("samples/world.json"));
        var start = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);

        SiteSimulation a = SiteSimulation.Generate(world, null, 50, 12, 1, 3, start);
        SiteSimulation b = SiteSimulation.Generate(world, null, 50, 12, 1, 3, start);

        Assert.Equal(a.Events, b.Events);
        // Every simulated agent is an account of the world, so an incident can contain it.
        var accounts = world.Vendors.SelectMany(v => v.Sites).SelectMany(s => s.AllAgents()).Select(x => x.UserPrincipalName).ToHashSet();
        Assert.All(a.Events, e => Assert.Contains(e.Agent.UserPrincipalName, accounts));
    }
}
