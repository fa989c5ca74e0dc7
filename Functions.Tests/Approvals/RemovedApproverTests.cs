using Cordon.Configuration;
using Cordon.Incidents;

namespace Cordon.Tests.Approvals;

/// <summary>
/// An approver removed from the world (found bribed, gone from the company) no longer decides incidents triaged before:
/// found by an attack, where a removed security lead's old link restored the subject's access and closed the incident.
/// </summary>
public sealed class RemovedApproverTests
{
    [Fact]
    public async Task A_security_lead_removed_from_the_world_cannot_reject_an_open_incident_with_an_old_link()
    {
        string worldPath = TestHost.EditedWorld(_ => { });
        await using TestHost host = await TestHost.StartAsync(world: worldPath,
            configure: s => s.Configure<ConfigurationOptions>(o => o.PollInterval = TimeSpan.FromMilliseconds(150)));
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.ContainedAt is not null && d.PendingApprovals.Count == 1);
        string link = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");

        // sam.lead is removed: the security lead is now someone else.
        JsonNode world = JsonNode.Parse(await File.ReadAllTextAsync(worldPath), null, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        world["approvers"]!["securityLead"] = new JsonArray("new.lead@cordon-customer.example");
        LiveConfiguration live = host.Host.Services.GetRequiredService<LiveConfiguration>();
        string before = live.Current.WorldVersion;
        await File.WriteAllTextAsync(worldPath, world.ToJsonString());
        await Eventually.Until(() => Task.FromResult(live.Current.WorldVersion), v => v != before,
            TimeSpan.FromSeconds(20), "the new world", v => v, TimeSpan.FromMilliseconds(100));

        var (status, page) = await host.DecideAsync(link, Decisions.Reject, "not an insider");

        Assert.Equal(403, status);
        Assert.Contains("no longer listed as an approver", page, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(1)); // a decision, had one been raised, is taken within milliseconds
        IncidentDetail d = await host.IncidentAsync(id);
        Assert.Equal(Stages.AwaitingConfirmation, d.Stage);
        Assert.NotNull(d.ContainedAt);
        Assert.Empty(d.PendingApprovals.Single().Votes);
    }
}
