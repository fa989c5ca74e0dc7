using Cordon.Access;
using Cordon.Containment;
using Cordon.Notification;
using Cordon.Evidence;
using Cordon.Local.Connectors;
using Cordon.Offboarding;

namespace Cordon.Tests.Reliability;

/// <summary>
/// Durable Task runs a step at least once: after a crash, a step whose result was not yet recorded runs
/// again. These steps answer a second run from what the first one recorded, with no second effect.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RerunIdempotencyTests
{
    static readonly WorldModel SampleWorld = WorldModel.Load(Repo.Path("samples/world.json"));

    [Fact]
    public async Task A_site_batch_run_twice_revokes_each_account_once_and_answers_the_same()
    {
        var (directory, evidence, _) = Connectors();
        var activity = new RevokeSiteBatch(directory, evidence, Options.Create(new WorldOptions { World = SampleWorld }));
        var batch = new SiteBatch("inc-0123456789ab-1", "fab-pune-1", 1, 20);

        BulkRevocationResult first = await activity.RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch);
        int requests = directory.Requests;
        BulkRevocationResult again = await activity.RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch);

        Assert.Equal(20, first.Revoked);
        Assert.Equal(first.Revoked, again.Revoked);
        Assert.Equal(first.Requests, again.Requests);
        Assert.Equal(requests, directory.Requests); // no Graph budget spent on the re-run
        foreach (Agent agent in SampleWorld.FindSite("fab-pune-1")!.Value.Site.AllAgents().Skip(20).Take(20))
        {
            Assert.Equal(1, directory.EffectCount($"revoke-sessions:{agent.UserPrincipalName}"));
            Assert.Equal(1, directory.EffectCount($"disable:{agent.UserPrincipalName}"));
        }
    }

    [Fact]
    public async Task A_throttled_site_batch_hands_back_what_is_left_at_once_and_each_round_revokes_once()
    {
        var (directory, evidence, _) = Connectors();
        var activity = new RevokeSiteBatch(directory, evidence, Options.Create(new WorldOptions { World = SampleWorld }));
        for (int i = 0; i < SimulatedDirectory.WritesPerWindow - 20; i++)
        {
            await directory.RevokeSessionsAsync("liza.r@vendor.example", default); // another site spends the budget
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var batch = new SiteBatch("inc-0123456789ab-1", "fab-pune-1", 0, 20);
        BulkRevocationResult first = await activity.RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch);
        BulkRevocationResult again = await activity.RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the activity waited {clock.Elapsed}"); // no 150 s wait inside
        Assert.Equal(10, first.Revoked); // 20 writes left in the window: one $batch of 10 accounts
        Assert.Equal(10, first.Pending!.Count);
        Assert.InRange(first.RetryAfter!.Value, TimeSpan.FromSeconds(100), SimulatedDirectory.Window);
        Assert.Equal(first.Pending, again.Pending); // answered from its record

        directory.ResetWriteBudget(); // the window passed (the incident waited on a durable timer)
        BulkRevocationResult next = await activity.RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch with { Round = 1, Accounts = first.Pending });
        Assert.Equal(10, next.Revoked);
        Assert.Null(next.Pending);
        foreach (Agent agent in SampleWorld.FindSite("fab-pune-1")!.Value.Site.AllAgents().Take(20))
        {
            Assert.Equal(1, directory.EffectCount($"disable:{agent.UserPrincipalName}"));
        }
    }

    [Fact]
    public async Task The_vendor_notice_step_run_twice_mails_the_vendor_once()
    {
        var (directory, evidence, outbox) = Connectors();
        var activity = new NotifyVendor(outbox, directory, evidence, Options.Create(new WorldOptions { World = SampleWorld }), TimeProvider.System);
        var notice = new VendorNotice("inc-0123456789ab-1", "fabrikam-bpo", "Fabrikam BPO Services", "fab-pune-1", "Fabrikam Pune 1",
            ["vendor-management@fabrikam-bpo.example"], 43);

        string first = await activity.RunAsync(ActivityContexts.For(nameof(NotifyVendor)), notice);
        string again = await activity.RunAsync(ActivityContexts.For(nameof(NotifyVendor)), notice);

        Assert.Equal(first, again);
        Assert.Single(outbox.List(), m => m.Category == "vendor-notice");
        Assert.Equal(1, directory.EffectCount("disable:svc-fabrikam-api@vendor.example"));
        Assert.True((await evidence.VerifyAsync(notice.IncidentId, default)).Ok);
    }

    [Fact]
    public async Task The_training_step_run_again_says_its_mail_is_sent_again()
    {
        var (_, evidence, outbox) = Connectors();
        var activity = new AssignTraining(outbox, Options.Create(new WorldOptions { World = SampleWorld }), evidence: evidence, time: TimeProvider.System);
        var request = new TrainingRequest("inc-0123456789ab-1", "fabrikam-bpo", "fab-pune-1", ["vendor-management@fabrikam-bpo.example"]);

        await activity.RunAsync(ActivityContexts.For(nameof(AssignTraining)), request);
        await activity.RunAsync(ActivityContexts.For(nameof(AssignTraining)), request);

        var mails = outbox.List().Where(m => m.Category == "training").OrderBy(m => m.SentAt).ToList();
        Assert.Equal(2, mails.Count);
        Assert.DoesNotContain("sent again", mails[0].Subject, StringComparison.Ordinal);
        Assert.EndsWith("(sent again)", mails[1].Subject, StringComparison.Ordinal);
        Assert.Contains(MailAttempt.SentAgainNote.Trim(), mails[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_approval_request_step_run_again_after_a_failed_mail_asks_only_those_not_yet_asked()
    {
        var (_, evidence, outbox) = Connectors();
        var flaky = new FailingOnceFor("dana.deputy@cordon-customer.example", outbox);
        var tokens = new Cordon.Approvals.ApprovalTokens(Options.Create(new Cordon.Approvals.ApprovalOptions { SigningKey = Convert.ToBase64String(new byte[32]) }), TimeProvider.System);
        var activity = new Cordon.Approvals.SendApprovalRequests(flaky, tokens, evidence, TimeProvider.System, Options.Create(new Cordon.Approvals.ApprovalOptions()));
        var summary = new Cordon.Approvals.ApprovalSummary("ravi.k@vendor.example", "Ravi K.", "fabrikam-bpo", "Fabrikam", "fab-pune-1", "Pune 1", "critical", 94, ["bribery"], "contained", ["Northwind"], 10);
        var request = new Cordon.Approvals.ApprovalRequest("inc-0123456789ab-1", "confirm-1", "confirm", "securityLead",
            ["sam.lead@cordon-customer.example", "dana.deputy@cordon-customer.example"], DateTime.UtcNow.AddHours(1), false, summary);

        await Assert.ThrowsAsync<HttpRequestException>(() => activity.RunAsync(ActivityContexts.For("SendApprovalRequests"), request));
        await activity.RunAsync(ActivityContexts.For("SendApprovalRequests"), request); // the step's retry
        await activity.RunAsync(ActivityContexts.For("SendApprovalRequests"), request); // a crash after it: run once more

        var mails = outbox.List().Where(m => m.Category == "approval-request").ToList();
        Assert.Single(mails, m => m.To.Contains("sam.lead@cordon-customer.example"));
        Assert.Single(mails, m => m.To.Contains("dana.deputy@cordon-customer.example"));
        Assert.True((await evidence.VerifyAsync(request.IncidentId, default)).Ok);
    }

    /// <summary>The mail service refuses the first message to one recipient (a transient outage), then recovers.</summary>
    sealed class FailingOnceFor(string recipient, IEmailSender inner) : IEmailSender
    {
        bool failed;

        public Task<string> SendAsync(EmailMessage message, CancellationToken cancellationToken)
        {
            if (!failed && message.To.Contains(recipient))
            {
                failed = true;
                throw new HttpRequestException("mail service unavailable (503)");
            }

            return inner.SendAsync(message, cancellationToken);
        }
    }

    [Fact]
    public async Task Evidence_preserved_again_after_containment_changed_the_directory_keeps_the_first_capture()
    {
        var (directory, evidence, _) = Connectors();
        var activity = new PreserveEvidence(evidence, directory);
        RiskAlert alert = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert!;
        var request = new PreserveRequest("inc-0123456789ab-1", alert, "initial alert");

        EvidenceSummary first = await activity.RunAsync(ActivityContexts.For(nameof(PreserveEvidence)), request);
        EvidenceVerification once = await evidence.VerifyAsync(request.IncidentId, default);
        byte[] captured = (await evidence.GetAsync(request.IncidentId, first.Names[^1], default))!;
        await directory.SetAccountEnabledAsync(alert.Subject.UserPrincipalName, false, default); // containment ran alongside
        EvidenceSummary again = await activity.RunAsync(ActivityContexts.For(nameof(PreserveEvidence)), request);

        Assert.Equal(first.Names, again.Names);
        Assert.Equal(captured, await evidence.GetAsync(request.IncidentId, first.Names[^1], default));
        EvidenceVerification twice = await evidence.VerifyAsync(request.IncidentId, default);
        Assert.True(twice.Ok, twice.Detail);
        // One custody entry per item, saying who collected it and why; the re-run added none.
        Assert.Equal((first.Names.Count, first.Names.Count), (once.CustodyEntriesChecked, twice.CustodyEntriesChecked));
    }

    [Fact]
    public async Task An_item_file_left_by_a_crash_before_its_manifest_line_is_not_overwritten_by_other_bytes()
    {
        var (_, evidence, _) = Connectors();
        byte[] first = Encoding.UTF8.GetBytes("{\"accountEnabled\":true}");
        // The first attempt wrote the item and died before its manifest line.
        string path = evidence.ItemPath(Incident, "directory-x.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, first);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            evidence.PutAsync(Incident, "directory-x.json", Encoding.UTF8.GetBytes("{\"accountEnabled\":false}"), "application/json", default));
        EvidenceItem kept = await evidence.PutAsync(Incident, "directory-x.json", first, "application/json", default);

        Assert.Equal(first, await evidence.GetAsync(Incident, "directory-x.json", default));
        Assert.Equal(Cordon.Evidence.EvidenceChain.Sha256(first), kept.Sha256);
        Assert.True((await evidence.VerifyAsync(Incident, default)).Ok);
    }

    [Fact]
    public async Task A_restore_run_again_after_the_subject_was_contained_again_changes_nothing()
    {
        // Found by an attack (kill -9 between the step's result and its message's delete on Azure Storage): the first
        // restore's message ran again after an alert had contained the person again, and gave the access back.
        var (directory, evidence, _) = Connectors();
        var restore = new RestoreAccess(directory, evidence);
        const string Ravi = "ravi.k@vendor.example";
        int groups = (await directory.GetAccessAsync(Ravi, default)).Groups.Count;

        ContainmentRecord first = await ContainAsync(directory, Ravi, DateTime.UtcNow.AddMinutes(-1));
        RestoreResult restored = await restore.RunAsync(ActivityContexts.For(nameof(RestoreAccess)), first); // the rejection's restore
        Assert.True(directory.Find(Ravi)!.AccountEnabled);
        await ContainAsync(directory, Ravi, DateTime.UtcNow); // an alert that calls for containment: contained again
        RestoreResult again = await restore.RunAsync(ActivityContexts.For(nameof(RestoreAccess)), first); // the first restore's message, redelivered

        Assert.False(directory.Find(Ravi)!.AccountEnabled, "the redelivered restore re-enabled an account contained again");
        Assert.Empty(directory.Find(Ravi)!.Groups);
        Assert.Equal(restored.RestoredGroups, again.RestoredGroups); // answered from its record
        Assert.Equal(groups, restored.RestoredGroups.Count);
        Assert.Equal(1, directory.EffectCount($"enable:{Ravi}"));
        Assert.Single(await evidence.ListAsync(first.IncidentId, default), i => i.Name.StartsWith("restored-", StringComparison.Ordinal));
        Assert.True((await evidence.VerifyAsync(first.IncidentId, default)).Ok);
    }

    [Fact]
    public async Task An_agent_leaving_the_site_between_two_batches_shifts_no_one_out_of_the_offboarding()
    {
        // Found by an attack: each batch sliced the live list, so one agent leaving between batches left another in no slice.
        const string Site = "fab-pune-1";
        WorldModel after = WorldModel.Load(TestHost.EditedWorld(w => TestHost.Site(w, Site)["agents"]!.AsArray().RemoveAt(1))); // asha.m leaves
        var (directory, evidence, _) = Connectors();
        int batches = (43 + 19) / 20; // the plan's count at intake, batches of 20

        await Batch(directory, evidence, SampleWorld).RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), new SiteBatch(Incident, Site, 0, 20, Batches: batches));
        for (int i = 1; i < batches; i++) // the world was updated after batch 0 ran
        {
            await Batch(directory, evidence, after).RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), new SiteBatch(Incident, Site, i, 20, Batches: batches));
        }

        Assert.Empty(SampleWorld.FindSite(Site)!.Value.Site.AllAgents().Where(a => directory.Find(a.UserPrincipalName)!.AccountEnabled).Select(a => a.UserPrincipalName));
    }

    [Fact]
    public async Task Agents_who_joined_after_intake_are_revoked_by_the_last_batch()
    {
        // Planned at intake with 43 agents (3 batches of 20); by the vendor gate the site has 70.
        const string Site = "fab-pune-1";
        WorldModel grown = WorldModel.Load(TestHost.EditedWorld(w => TestHost.Site(w, Site)["generatedAgents"] = 67));
        var directory = new SimulatedDirectory(grown, null, TimeProvider.System);
        var (_, evidence, _) = Connectors();
        int batches = (43 + 19) / 20;
        int accounts = 0;
        for (int i = 0; i < batches; i++)
        {
            accounts += (await Batch(directory, evidence, grown).RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), new SiteBatch(Incident, Site, i, 20, Batches: batches))).Accounts;
        }

        Assert.Equal(70, accounts);
        Assert.Empty(grown.FindSite(Site)!.Value.Site.AllAgents().Where(a => directory.Find(a.UserPrincipalName)!.AccountEnabled).Select(a => a.UserPrincipalName));
        Assert.Contains(await evidence.ListAsync(Incident, default), i => i.Name == RevokeSiteBatch.AccountsItem);
    }

    [Fact]
    public async Task A_revocation_run_again_still_records_what_the_first_run_removed()
    {
        // Found by an attack: the rerun found the account emptied and recorded "removed 0 groups, 0 licences, 0 app roles".
        var (directory, evidence, _) = Connectors();
        var revoke = new RevokeAccess(directory, evidence);
        var request = new RevokeRequest(Incident, "ravi.k@vendor.example");

        RevocationRecord first = await revoke.RunAsync(ActivityContexts.For(nameof(RevokeAccess)), request);
        RevocationRecord again = await revoke.RunAsync(ActivityContexts.For(nameof(RevokeAccess)), request);

        Assert.NotEmpty(first.RemovedGroups);
        Assert.NotEmpty(first.RemovedLicences);
        Assert.NotEmpty(first.RemovedAppRoles);
        Assert.Equal(first.RemovedGroups, again.RemovedGroups);
        Assert.Equal(first.RemovedLicences, again.RemovedLicences);
        Assert.Equal(first.RemovedAppRoles, again.RemovedAppRoles);
        Assert.False(directory.Find("ravi.k@vendor.example")!.AccountEnabled);
        Assert.Empty(directory.Find("ravi.k@vendor.example")!.Groups);
        Assert.True((await evidence.VerifyAsync(Incident, default)).Ok);
    }

    const string Incident = "inc-0123456789ab-1";

    static RevokeSiteBatch Batch(SimulatedDirectory directory, IEvidenceStore evidence, WorldModel world) =>
        new(directory, evidence, Options.Create(new WorldOptions { World = world }));

    static async Task<ContainmentRecord> ContainAsync(SimulatedDirectory directory, string upn, DateTime at)
    {
        AccessSnapshot s = await directory.GetAccessAsync(upn, default);
        await directory.SetAccountEnabledAsync(upn, false, default);
        await directory.RemoveGroupMembershipsAsync(upn, s.Groups, default);
        return new ContainmentRecord("inc-0123456789ab-1", upn, s.AccountEnabled, s.Groups, true, at, []);
    }

    static (SimulatedDirectory Directory, FolderEvidenceStore Evidence, Outbox Outbox) Connectors()
    {
        string dir = Directory.CreateTempSubdirectory("cordon-rerun-").FullName;
        return (new SimulatedDirectory(SampleWorld, null, TimeProvider.System),
            new FolderEvidenceStore(Path.Combine(dir, "evidence"), TimeProvider.System),
            new Outbox(Path.Combine(dir, "outbox"), TimeProvider.System));
    }
}
