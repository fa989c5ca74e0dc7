using System.Buffers.Text;
using System.Security.Cryptography;

namespace Cordon.Tests.Approvals;

/// <summary>
/// Links mailed before approvers were named by a keyed hash (token version 1: the unkeyed <see cref="ApproverIdentity.Hash"/>)
/// stay valid until their gate closes: they still record a vote, and the person behind one still votes only once.
/// </summary>
public sealed class OldFormatApprovalLinkTests
{
    /// <summary>A link as Cordon built it before the change: version 1, the unkeyed approver hash, signed with the host's key.</summary>
    static string OldLink(TestHost host, string incidentId, PendingApproval gate, string approver)
    {
        byte[] key = Convert.FromBase64String(host.Host.Services.GetRequiredService<IOptions<ApprovalOptions>>().Value.SigningKey);
        long expires = new DateTimeOffset(gate.ExpiresAt, TimeSpan.Zero).ToUnixTimeSeconds();
        byte[] payload = Encoding.UTF8.GetBytes(
            $$"""{"V":1,"I":"{{incidentId}}","G":"{{gate.GateId}}","A":"{{ApproverIdentity.Hash(approver)}}","E":{{expires}}}""");
        return "/api/approvals/" + Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, payload));
    }

    [Fact]
    public async Task A_link_mailed_in_the_old_format_still_records_its_approvers_decision()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        PendingApproval confirm = Assert.Single((await host.IncidentAsync(id)).PendingApprovals);

        string old = OldLink(host, id, confirm, "sam.lead@cordon-customer.example");
        Assert.Equal(200, (int)(await host.Http.GetAsync(old)).StatusCode);
        var (status, page) = await host.DecideAsync(old, Decisions.Reject);

        Assert.True(status == 200, page);
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        Assert.Equal(Outcomes.FalsePositive, closed.Outcome);
        Assert.Single(host.Host.Outbox.List(), m => m.Category == "decision-receipt" && m.To.Contains("sam.lead@cordon-customer.example"));
    }

    [Fact]
    public async Task An_approver_who_voted_by_a_new_link_cannot_vote_again_by_an_old_one_and_old_links_of_others_still_count()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();
        await host.EscalateToSecondVendorVoteAsync(id); // val approved the site's offboarding by the link mailed to them
        IncidentDetail atVendor = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingVendorApproval && d.PendingApprovals.Single().Votes.Count == 1);
        PendingApproval vendor = atVendor.PendingApprovals.Single();

        var (again, againPage) = await host.DecideAsync(OldLink(host, id, vendor, "val.vendor@cordon-customer.example"), Decisions.Approve);
        Assert.Equal(409, again);
        Assert.Contains("already decided", againPage, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Stages.AwaitingVendorApproval, (await host.IncidentAsync(id)).Stage);

        var (second, secondPage) = await host.DecideAsync(OldLink(host, id, vendor, "vic.vendor@cordon-customer.example"), Decisions.Approve);
        Assert.True(second == 200, secondPage);
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        Assert.Equal(Outcomes.ConfirmedInsider, closed.Outcome);
    }
}
