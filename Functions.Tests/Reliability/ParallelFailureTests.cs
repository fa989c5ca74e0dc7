using Cordon.Local.Connectors;

namespace Cordon.Tests.Reliability;

/// <summary>Parallel steps that fail each wait visibly on their own; one operator retry resumes them all, or one by name.</summary>
public sealed class ParallelFailureTests
{
    static readonly string Policy = TestHost.OffboardingPolicy(parallelism: 3, quickRetries: true);

    [Fact]
    public async Task Three_failing_offboarding_batches_each_wait_visibly_and_retries_resume_one_by_name_then_all()
    {
        var faults = new FaultSwitch();
        string world = TestHost.EditedWorld(w => TestHost.Site(w, "fab-pune-1")["generatedAgents"] = 57); // 60 agents: 3 batches
        await using TestHost host = await TestHost.StartAsync(Policy, world, configure: s =>
            s.AddSingleton<Cordon.Access.IAccessControl>(sp => new FaultyAccessControl(sp.GetRequiredService<SimulatedDirectory>(), faults)));
        var (_, id, _) = await host.SendSampleAsync();
        await host.EscalateToSecondVendorVoteAsync(id);
        faults.Failing = true; // the directory goes down as the offboarding starts
        await host.CompleteVendorQuorumAsync();

        IncidentDetail waiting = await host.WaitForAsync(id, d => d.WaitingSteps?.Count == 3, seconds: 60);

        Assert.Equal(Stages.VendorOffboarding, waiting.Stage);
        Assert.Equal(["RevokeSiteBatch 0", "RevokeSiteBatch 1", "RevokeSiteBatch 2"], waiting.WaitingSteps!.Select(w => w.Step).Order());
        Assert.All(waiting.WaitingSteps!, w => Assert.Contains("directory unavailable", w.Error, StringComparison.Ordinal));
        Assert.NotNull(waiting.WaitingForOperator);
        Assert.Equal(3, waiting.Timeline.Count(t => t.Step == "step failed"));
        await host.MailAsync(m => m.Category == "operator-alert");

        faults.Failing = false;
        var one = await host.Http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = "retry", @operator = "olga.ops", reason = "directory back", step = "RevokeSiteBatch 1" });
        Assert.Equal(202, (int)one.StatusCode);
        IncidentDetail two = await host.WaitForAsync(id, d => d.WaitingSteps?.Count == 2);
        Assert.Equal(["RevokeSiteBatch 0", "RevokeSiteBatch 2"], two.WaitingSteps!.Select(w => w.Step).Order());
        Assert.Equal(Stages.VendorOffboarding, two.Stage);

        var all = await host.Http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = "retry", @operator = "olga.ops", reason = "directory back" });
        Assert.Equal(202, (int)all.StatusCode);
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 60);

        Assert.Equal(Outcomes.ConfirmedInsider, closed.Outcome);
        Assert.Empty(closed.WaitingSteps!);
        Assert.Null(closed.WaitingForOperator);
        Assert.Contains(closed.Timeline, t => t.Step == "site offboarded" && t.Detail.StartsWith("60 of 60 accounts", StringComparison.Ordinal));
        var agents = host.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Cordon.World.WorldOptions>>()
            .Value.World.FindSite("fab-pune-1")!.Value.Site.AllAgents().ToList();
        Assert.All(agents, a => Assert.Equal(1, host.Host.Directory.EffectCount("disable:" + a.UserPrincipalName)));
    }
}
