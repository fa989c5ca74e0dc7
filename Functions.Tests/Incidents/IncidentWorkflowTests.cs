using Cordon.Local.Connectors;

namespace Cordon.Tests.Incidents;

/// <summary>The incident workflow on the real Durable Task engine, driven over HTTP through the local host.</summary>
public sealed class IncidentWorkflowTests
{
    const string Ravi = "ravi.k@vendor.example";

    [Fact]
    public async Task Critical_alert_is_contained_without_human_action_and_waits_for_confirmation()
    {
        await using TestHost host = await TestHost.StartAsync();

        var (status, id, outcome) = await host.SendSampleAsync();

        Assert.Equal(202, status);
        Assert.Equal("started", outcome);
        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);
        Assert.NotNull(d.ContainedAt);
        Assert.Equal("critical", d.Severity);
        Assert.Single(d.PendingApprovals);
        Assert.Contains("sam.lead@cordon-customer.example", d.PendingApprovals[0].Approvers);
        SimulatedAccount account = host.Host.Directory.Find(Ravi)!;
        Assert.False(account.AccountEnabled);
        Assert.Empty(account.Groups);
        Assert.NotNull(account.SessionsRevokedAt);
        Assert.True(d.ExposureEndsBy >= d.ContainedAt);
        Assert.Contains(d.Exposure, e => e.Resource == "entra-token");
    }

    [Fact]
    public async Task Resent_alert_is_a_duplicate_and_a_new_alert_for_the_same_subject_is_merged()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, first) = await host.SendSampleAsync("medium-off-hours.json");
        var (_, dupId, duplicate) = await host.SendSampleAsync("medium-off-hours.json");
        var (_, mergedId, merged) = await host.SendSampleAsync("medium-off-hours.json", s => s.Replace("dtex-5521", "dtex-5522").Replace("\"riskScore\": 55", "\"riskScore\": 92"));

        Assert.Equal(("started", "duplicate", "merged"), (first, duplicate, merged));
        Assert.Equal(id, dupId);
        Assert.Equal(id, mergedId);
        // The merged critical alert raises severity and contains the subject that was waiting on approval.
        IncidentDetail d = await host.WaitForAsync(id, d => d.Severity == "critical" && d.ContainedAt is not null);
        Assert.Equal(2, d.AlertIds.Count);
        Assert.False(host.Host.Directory.Find("asha.m@vendor.example")!.AccountEnabled);
        var all = await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents");
        Assert.Single(all!);
    }

    [Fact]
    public async Task Same_alert_delivered_five_times_concurrently_opens_one_incident()
    {
        await using TestHost host = await TestHost.StartAsync();

        var results = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => host.SendSampleAsync()));

        Assert.All(results, r => Assert.Equal(202, r.Status));
        Assert.Single(results.Select(r => r.IncidentId).Distinct());
        Assert.Single(results, r => r.Outcome == "started");
        var all = await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents");
        Assert.Single(all!);
    }

    [Fact]
    public async Task FalsePositive_restores_exactly_the_removed_access_and_closes()
    {
        await using TestHost host = await TestHost.StartAsync();
        var before = host.Host.Directory.Find(Ravi)!;
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation);

        string link = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        var (status, page) = await host.DecideAsync(link, "reject", "known QA test account");

        Assert.Equal(200, status);
        Assert.Contains("Recorded", page, StringComparison.Ordinal);
        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        Assert.Equal(Outcomes.FalsePositive, d.Outcome);
        var after = host.Host.Directory.Find(Ravi)!;
        Assert.True(after.AccountEnabled);
        Assert.Equal(before.Groups.Order(), after.Groups.Order());
        Assert.Equal(1, host.Host.Directory.EffectCount($"enable:{Ravi}"));
        Assert.Contains(d.Timeline, t => t.Step == "decision" && t.Detail.Contains("known QA test account", StringComparison.Ordinal));
        Assert.Contains(d.Timeline, t => t.Step == "access restored");
    }

    [Fact]
    public async Task Nobody_deciding_escalates_through_the_chain_and_ends_unreviewed_still_contained()
    {
        const string policy = """{ "confirm": { "chain": ["securityLead", "deputy", "ciso"], "stepTimeout": "00:00:01" } }""";
        await using TestHost host = await TestHost.StartAsync(policy);
        var (_, id, _) = await host.SendSampleAsync();

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);

        Assert.Equal(Outcomes.Unreviewed, d.Outcome);
        Assert.Equal(2, d.Timeline.Count(t => t.Step == "escalated"));
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
        var mails = host.Host.Outbox.List();
        foreach (string role in new[] { "sam.lead", "dana.deputy", "chris.ciso" })
        {
            Assert.Contains(mails, m => m.Category == "approval-request" && m.To.Any(t => t.StartsWith(role, StringComparison.Ordinal)));
        }

        Assert.Contains(mails, m => m.Category == "operator-alert" && m.To.Contains("soc-oncall@cordon-customer.example"));
    }

    [Fact]
    public async Task Approval_pages_naming_the_agent_are_never_cached_framed_sniffed_or_sent_on_as_a_referrer()
    {
        await using TestHost host = await TestHost.StartAsync();
        await host.SendSampleToConfirmationAsync();
        string link = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");

        HttpResponseMessage page = await host.Http.GetAsync(link);
        HttpResponseMessage refused = await host.Http.PostAsync(link, new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = "maybe" }));
        HttpResponseMessage altered = await host.Http.GetAsync(link + "x");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.Forbidden), (page.StatusCode, refused.StatusCode, altered.StatusCode));
        Assert.Contains("ravi.k@vendor.example", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.All(new[] { page, refused, altered }, r =>
        {
            Assert.True(r.Headers.CacheControl?.NoStore, "Cache-Control: no-store");
            Assert.Contains("frame-ancestors 'none'", string.Join(";", r.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
            Assert.Equal("no-referrer", Assert.Single(r.Headers.GetValues("Referrer-Policy")));
            Assert.Equal("nosniff", Assert.Single(r.Headers.GetValues("X-Content-Type-Options")));
        });
    }

    [Fact]
    public async Task Escalate_is_offered_only_at_the_confirm_gate_and_elsewhere_a_link_answers_400_and_still_works()
    {
        await using TestHost host = await TestHost.StartAsync();
        string id = await host.SendSampleToConfirmationAsync();
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), Decisions.Escalate)).Status);
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.PendingApprovals.Count == 1);

        string lee = await host.ApprovalLinkAsync("lee.legal@cordon-customer.example", "notify");
        var (atNotice, noticePage) = await host.DecideAsync(lee, Decisions.Escalate);
        Assert.Equal(400, atNotice);
        Assert.Contains("offered only when confirming an insider incident", noticePage, StringComparison.Ordinal);
        Assert.Equal(200, (await host.DecideAsync(lee, Decisions.Approve)).Status); // the refused answer counted nothing

        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingVendorApproval && d.PendingApprovals.Count == 1);
        var (atVendor, _) = await host.DecideAsync(await host.ApprovalLinkAsync("val.vendor@cordon-customer.example", "vendorOffboarding"), Decisions.Escalate);
        Assert.Equal(400, atVendor);
        Assert.Empty((await host.IncidentAsync(id)).PendingApprovals.Single().Votes);
        OutboxMail receipt = Assert.Single(host.Host.Outbox.List(), m => m.Category == "decision-receipt" && m.To.Contains("lee.legal@cordon-customer.example"));
        Assert.DoesNotContain("proposed vendor offboarding", receipt.Subject, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Confirmed_insider_is_notified_offboarded_with_two_distinct_approvers_and_closed()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation);

        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), Decisions.Escalate)).Status);
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.PendingApprovals.Count == 1);
        IncidentDetail notifying = await host.IncidentAsync(id);
        Assert.Contains(notifying.Deadlines, x => x.Name == "GDPR" && x.Client == "northwind-bank");
        Assert.Contains(notifying.Deadlines, x => x.Name == "CERT-In" && x.Client == "contoso-pay");
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("lee.legal@cordon-customer.example", "notify"), Decisions.Approve)).Status);

        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingVendorApproval && d.PendingApprovals.Count == 1);
        string val = await host.ApprovalLinkAsync("val.vendor@cordon-customer.example", "vendorOffboarding");
        Assert.Equal(200, (await host.DecideAsync(val, Decisions.Approve)).Status);
        var (again, againPage) = await host.DecideAsync(val, Decisions.Approve);
        Assert.Equal(409, again);
        OutboxMail receipt = Assert.Single(host.Host.Outbox.List(), m => m.Category == "decision-receipt" && m.To.Contains("val.vendor@cordon-customer.example"));
        Assert.Contains("1 more distinct approver", receipt.Text, StringComparison.Ordinal); // the refused second click mailed nothing
        Assert.Contains("already decided", againPage, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Stages.AwaitingVendorApproval, (await host.IncidentAsync(id)).Stage);
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("vic.vendor@cordon-customer.example", "vendorOffboarding"), Decisions.Approve)).Status);

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        Assert.Equal(Outcomes.ConfirmedInsider, d.Outcome);
        Assert.All(d.Deadlines, x => Assert.NotNull(x.MetAt));
        Assert.False(host.Host.Directory.Find("asha.m@vendor.example")!.AccountEnabled);
        Assert.False(host.Host.Directory.Find("agent00040.fab-pune-1@vendor.example")!.AccountEnabled);
        Assert.True(host.Host.Directory.Find("liza.r@vendor.example")!.AccountEnabled); // another site
        Assert.Empty(host.Host.Directory.Find(Ravi)!.Licences);
        var mails = host.Host.Outbox.List();
        Assert.Contains(mails, m => m.Category == "client-notice" && m.To.Contains("security@northwind-bank.example"));
        Assert.Contains(mails, m => m.Category == "vendor-notice");
        Assert.Equal("incident-report.json", d.ReportName);
        var store = new Cordon.Local.Connectors.FolderEvidenceStore(Path.Combine(host.DataDir, "evidence"), TimeProvider.System);
        Assert.True((await store.VerifyAsync(id, default)).Ok);
    }

    [Fact]
    public async Task Forged_expired_foreign_and_repeated_approval_links_change_nothing()
    {
        await using TestHost host = await TestHost.StartAsync();
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation);
        string link = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        string token = link[(link.LastIndexOf('/') + 1)..];

        // GET never decides (mail scanners prefetch links).
        var get = await host.Http.GetAsync(link);
        Assert.Equal(200, (int)get.StatusCode);
        Assert.Contains("Approve", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        string forged = token[..^3] + (token[^3] == 'A' ? "BBB" : "AAA");
        Assert.Equal(403, (await host.DecideAsync("/api/approvals/" + forged, "approve")).Status);
        Assert.Equal(403, (await host.DecideAsync("/api/approvals/not-a-token", "approve")).Status);

        var tokens = host.Host.Services.GetRequiredService<ApprovalTokens>();
        string expired = tokens.Create(new ApprovalClaims(id, "confirm-1", tokens.ApproverId("sam.lead@cordon-customer.example"), DateTimeOffset.UtcNow.AddMinutes(-1)));
        Assert.Equal(410, (await host.DecideAsync("/api/approvals/" + expired, "approve")).Status);
        string foreign = tokens.Create(new ApprovalClaims(id, "confirm-1", tokens.ApproverId("mallory@attacker.example"), DateTimeOffset.UtcNow.AddHours(1)));
        Assert.Equal(403, (await host.DecideAsync("/api/approvals/" + foreign, "approve")).Status);
        string subject = tokens.Create(new ApprovalClaims(id, "confirm-1", tokens.ApproverId(Ravi), DateTimeOffset.UtcNow.AddHours(1)));
        Assert.Equal(403, (await host.DecideAsync("/api/approvals/" + subject, "approve")).Status);
        string unknown = tokens.Create(new ApprovalClaims("inc-000000000000-1", "confirm-1", tokens.ApproverId("sam.lead@cordon-customer.example"), DateTimeOffset.UtcNow.AddHours(1)));
        Assert.Equal(404, (await host.DecideAsync("/api/approvals/" + unknown, "approve")).Status);

        Assert.Equal(Stages.AwaitingConfirmation, (await host.IncidentAsync(id)).Stage);
        Assert.Equal(200, (await host.DecideAsync(link, "reject")).Status);
        await host.WaitForAsync(id, d => d.Stage == Stages.Closed);
        Assert.Equal(409, (await host.DecideAsync(link, "approve")).Status);
        Assert.Equal(Outcomes.FalsePositive, (await host.IncidentAsync(id)).Outcome);
    }

    [Fact]
    public async Task A_permanently_failing_step_waits_for_an_operator_and_resumes_on_retry()
    {
        var faults = new FaultSwitch { Failing = true };
        await using TestHost host = await TestHost.StartAsync(configure: s =>
            s.AddSingleton<Cordon.Access.IAccessControl>(sp => new FaultyAccessControl(sp.GetRequiredService<SimulatedDirectory>(), faults)));
        var (_, id, _) = await host.SendSampleAsync();

        IncidentDetail waiting = await host.WaitForAsync(id, d => d.WaitingForOperator is not null);
        Assert.Equal("ContainSubject", waiting.WaitingForOperator!.Step);
        Assert.Contains(waiting.Timeline, t => t.Step == "step failed");
        await host.MailAsync(m => m.Category == "operator-alert");

        faults.Failing = false;
        var retry = await host.Http.PostAsJsonAsync($"/api/incidents/{id}/actions", new { action = "retry", @operator = "olga.ops", reason = "directory back up" });
        Assert.Equal(202, (int)retry.StatusCode);
        IncidentDetail resumed = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation);
        Assert.Null(resumed.WaitingForOperator);
        Assert.NotNull(resumed.ContainedAt);
        Assert.False(host.Host.Directory.Find(Ravi)!.AccountEnabled);
    }

    [Fact]
    public async Task Notice_approvers_are_reminded_before_a_six_hour_deadline_and_a_late_notice_is_marked_missed()
    {
        // CERT-In's 6 h clock scaled to 6 s, reminders 4 s and 2 s before it: the same code path, in seconds.
        const string policy = """
            {
              "confirm": { "chain": ["securityLead"], "stepTimeout": "00:01:00" },
              "notify": { "chain": ["legal"], "stepTimeout": "00:01:00" },
              "clocks": { "CERT-In": { "description": "CERT-In, 6 h scaled to 6 s", "within": "00:00:06", "from": "confirmed" } },
              "reminderLeadTimes": ["00:00:04", "00:00:02"]
            }
            """;
        await using TestHost host = await TestHost.StartAsync(policy);
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation);
        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), Decisions.Approve)).Status);

        IncidentDetail waiting = await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.Deadlines.Count > 0);
        Deadline certIn = Assert.Single(waiting.Deadlines, d => d.Name == "CERT-In");
        Assert.Equal("contoso-pay", certIn.Client);
        Assert.DoesNotContain(waiting.Deadlines, d => d.Name == "GDPR"); // the policy's clocks replace the defaults

        IncidentDetail reminded = await host.WaitForAsync(id, d => d.Timeline.Count(t => t.Step == "reminder sent") == 2, seconds: 20);
        var reminders = host.Host.Outbox.List().Where(m => m.Category == "reminder").ToList();
        Assert.Equal(2, reminders.Count);
        Assert.All(reminders, m =>
        {
            Assert.Equal(["lee.legal@cordon-customer.example"], m.To);
            Assert.Contains("CERT-In", m.Subject, StringComparison.Ordinal);
            Assert.True(m.SentAt.UtcDateTime < certIn.DueAt, $"reminder at {m.SentAt:O} is not before the deadline {certIn.DueAt:O}");
        });
        Assert.Equal(Stages.AwaitingNotificationApproval, reminded.Stage);

        TimeSpan untilLate = certIn.DueAt.AddMilliseconds(600) - DateTime.UtcNow; // answer only once the deadline has passed
        if (untilLate > TimeSpan.Zero)
        {
            await Task.Delay(untilLate);
        }

        Assert.Equal(200, (await host.DecideAsync(await host.ApprovalLinkAsync("lee.legal@cordon-customer.example", "notify"), Decisions.Approve)).Status);
        IncidentDetail notified = await host.WaitForAsync(id, d => d.Deadlines.All(x => x.MetAt is not null));
        Deadline late = notified.Deadlines.Single(d => d.Name == "CERT-In");
        Assert.True(late.MetAt > late.DueAt);
        Assert.Contains(notified.Timeline, t => t.Step == "deadlines" && t.Detail.Contains("missed", StringComparison.Ordinal));
        Assert.Equal(2, host.Host.Outbox.List().Count(m => m.Category == "reminder")); // none after the notice went out
    }

    [Fact]
    public async Task Offboarding_a_2000_agent_site_revokes_every_account_within_the_parallelism_bound()
    {
        string worldPath = TestHost.EditedWorld(world => TestHost.Site(world, "fab-pune-1")["generatedAgents"] = 1997); // + 3 named agents = 2,000

        await using TestHost host = await TestHost.StartAsync(TestHost.OffboardingPolicy(parallelism: 3), worldPath, directoryLatency: TimeSpan.FromMilliseconds(10));
        host.Host.Directory.EnforceThrottling = false; // Graph's budget is the benchmark's subject; here it is the bound
        var (_, id, _) = await host.SendSampleAsync();
        await host.EscalateToSecondVendorVoteAsync(id);
        await host.CompleteVendorQuorumAsync();

        IncidentDetail d = await host.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 120);

        Assert.Equal(Outcomes.ConfirmedInsider, d.Outcome);
        var agents = host.Host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Cordon.World.WorldOptions>>()
            .Value.World.FindSite("fab-pune-1")!.Value.Site.AllAgents().ToList();
        Assert.Equal(2000, agents.Count);
        Assert.All(agents, a => Assert.False(host.Host.Directory.Find(a.UserPrincipalName)!.AccountEnabled, a.UserPrincipalName));
        Assert.All(agents, a => Assert.Equal(1, host.Host.Directory.EffectCount("disable:" + a.UserPrincipalName)));
        Assert.True(host.Host.Directory.Find("liza.r@vendor.example")!.AccountEnabled); // another site of the vendor
        Assert.InRange(host.Host.Directory.PeakConcurrentBulkCalls, 2, 3);
        Assert.Contains(d.Timeline, t => t.Step.Contains("offboard", StringComparison.OrdinalIgnoreCase) && t.Detail.Contains("2000", StringComparison.Ordinal));

        // Operators read the custom status on every poll: it stays small however large the site.
        var instance = await host.Host.Client.GetInstanceAsync(id, getInputsAndOutputs: true);
        Assert.InRange(instance!.SerializedCustomStatus!.Length, 1, 16 * 1024);
    }

    [Theory]
    [InlineData(true, 200)]
    [InlineData(false, 410)]
    public async Task After_escalation_the_first_approvers_link_works_unless_the_policy_lapses_it(bool earlierLinksStayValid, int firstLinkStatus)
    {
        string policy = $$"""
            { "confirm": { "chain": ["securityLead", "deputy", "ciso"], "stepTimeout": "00:00:03", "earlierLinksStayValid": {{(earlierLinksStayValid ? "true" : "false")}} } }
            """;
        await using TestHost host = await TestHost.StartAsync(policy);
        var (_, id, _) = await host.SendSampleAsync();
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation);
        string samLink = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        await host.WaitForAsync(id, d => d.Timeline.Any(t => t.Step == "escalated"));
        string danaLink = await host.ApprovalLinkAsync("dana.deputy@cordon-customer.example", "confirm");

        var (status, page) = await host.DecideAsync(samLink, Decisions.Reject);

        Assert.Equal(firstLinkStatus, status);
        if (earlierLinksStayValid)
        {
            Assert.Equal(Outcomes.FalsePositive, (await host.WaitForAsync(id, d => d.Stage == Stages.Closed)).Outcome);
            Assert.Equal(409, (await host.DecideAsync(danaLink, Decisions.Approve)).Status);
        }
        else
        {
            Assert.Contains("expired", page, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(Stages.AwaitingConfirmation, (await host.IncidentAsync(id)).Stage);
            Assert.Equal(200, (await host.DecideAsync(danaLink, Decisions.Reject)).Status);
            Assert.Equal(Outcomes.FalsePositive, (await host.WaitForAsync(id, d => d.Stage == Stages.Closed)).Outcome);
        }
    }

    [Fact]
    public async Task Unknown_incident_and_bad_alert_get_clear_errors_and_start_nothing()
    {
        await using TestHost host = await TestHost.StartAsync();
        var missing = await host.Http.GetAsync("/api/incidents/inc-000000000000-9");
        Assert.Equal(404, (int)missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType!.MediaType);

        var (status, _, body) = await host.SendSampleAsync(edit: s => s.Replace("\"riskScore\": 94", "\"riskScore\": 400"));
        Assert.Equal(400, status);
        Assert.Contains("riskScore must be 0..100", body, StringComparison.Ordinal);
        Assert.Empty((await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents"))!);
    }
}
