using Cordon.Connectors;
using Cordon.Local.Simulation;

namespace Cordon.Tests.Behaviour;

/// <summary>The simulator against an in-process host: a 200-agent site with team leads and two bribed insiders.</summary>
public sealed class SimulationTests
{
    [Fact]
    public async Task A_200_agent_site_raises_explained_incidents_for_both_insiders_and_at_most_one_innocent()
    {
        await using TestHost host = await TestHost.StartAsync();
        World world = World.Load(Repo.Path("samples/world.json"));
        SiteSimulation sim = SiteSimulation.Generate(world, siteId: null, agents: 200, hours: 24, insiders: 2, seed: 7,
            start: new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero));

        SimulationReport report = await SimulationRun.RunAsync(host.Http, sim, batchSize: 2000, progress: null, CancellationToken.None);

        Assert.Equal(2, report.Insiders.Count);
        Assert.Equal(report.Insiders.Order(), report.Caught.Order());
        Assert.InRange(report.FalsePositives.Count, 0, 1);
        Assert.Equal(report.Events, report.Accepted);
        foreach (string flagged in report.Caught.Concat(report.FalsePositives))
        {
            Assert.Contains(flagged, report.Explanations.Keys);
            Assert.Matches("no-business-need|volume-vs|export|screen-capture|off-shift|burst-across-customers", report.Explanations[flagged]);
        }
    }

    [Fact]
    public void The_same_seed_simulates_the_same_site()
    {
        World world = World.Load(Repo.Path("samples/world.json"));
        var start = new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);

        SiteSimulation a = SiteSimulation.Generate(world, null, 50, 12, 1, 3, start);
        SiteSimulation b = SiteSimulation.Generate(world, null, 50, 12, 1, 3, start);

        Assert.Equal(a.Events, b.Events);
        // Every simulated agent is an account of the world, so an incident can contain it.
        var accounts = world.Vendors.SelectMany(v => v.Sites).SelectMany(s => s.AllAgents()).Select(x => x.UserPrincipalName).ToHashSet();
        Assert.All(a.Events, e => Assert.Contains(e.Agent.UserPrincipalName, accounts));
    }
}
