namespace Cordon.Tests.Reliability;

/// <summary>
/// The local host on Azurite killed without warning (Process.Kill of the whole tree) in the middle of
/// steps and while waiting, then started again on the same store and data directory: the incident
/// finishes and every effect lands exactly once.
/// </summary>
[Collection(nameof(AzuriteCollection))]
public sealed class CrashRestartTests(AzuriteFixture azurite, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    const string Ravi = "ravi.k@vendor.example";
    const string Site = "fab-pune-1";
    const int SiteAgents = 1000;
    const int BatchSize = 20;
    const int Parallelism = 4; // the policy's offboardingParallelism below

    // Long gate steps: nothing times out while the host is down; quick step retries.
    const string Policy = """
        {
          "confirm": { "chain": ["securityLead", "deputy", "ciso"], "stepTimeout": "01:00:00" },
          "notify": { "chain": ["legal"], "stepTimeout": "01:00:00" },
          "vendorOffboarding": { "chain": ["vendorManagement", "ciso"], "stepTimeout": "01:00:00", "quorum": 2 },
          "retry": { "maxAttempts": 3, "firstRetry": "00:00:00.500", "backoffCoefficient": 2 },
          "offboardingBatchSize": 20,
          "offboardingParallelism": 4
        }
        """;

    static readonly string[] RaviGroups = ["support-agents", "crm-customer-pii", "crm-export"];

    [Fact]
    public async Task Confirmed_insider_survives_kills_during_containment_at_a_gate_and_during_a_1000_agent_offboarding()
    {
        using LocalHostProcess host = Start("crash-confirmed");

        // Kill 1: in the middle of containment (one simulated Graph call per second), which intake applies before it answers.
        await host.StartAsync("--directory-latency-ms", "1000");
        Task<(string IncidentId, string Outcome)> sending = host.SendAsync(Sample());
        DirectoryState atKill = await WaitForDirectoryAsync(host, d => d.Effect($"revoke-sessions:{Ravi}") > 0, "containment to start");
        host.Kill();
        Assert.True(atKill.Enabled(Ravi), "the kill was meant to land before containment disabled the account");
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => sending); // never answered: the sender sends it again

        // Kill 2: while waiting at the confirmation gate.
        await host.StartAsync("--directory-latency-ms", "100");
        var (id, outcome) = await host.SendAsync(Sample());
        Assert.Equal("duplicate", outcome); // the incident had started before containment began
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1, seconds: 120);
        string confirm = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        host.Kill();

        // Kill 3: in the middle of offboarding the 1,000-agent site.
        await host.StartAsync("--directory-latency-ms", "200");
        await host.DecideAsync(confirm, Decisions.Escalate);
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingNotificationApproval && d.PendingApprovals.Count == 1, seconds: 120);
        await host.DecideAsync(await host.ApprovalLinkAsync("lee.legal@cordon-customer.example", "notify"), Decisions.Approve);
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingVendorApproval && d.PendingApprovals.Count == 1, seconds: 60);
        await host.DecideAsync(await host.ApprovalLinkAsync("val.vendor@cordon-customer.example", "vendorOffboarding"), Decisions.Approve);
        await host.DecideAsync(await host.ApprovalLinkAsync("vic.vendor@cordon-customer.example", "vendorOffboarding"), Decisions.Approve);
        atKill = await WaitForDirectoryAsync(host, d => SiteAgentsDisabled(d) >= 100, "offboarding to be under way");
        host.Kill();
        Assert.InRange(SiteAgentsDisabled(atKill), 100, SiteAgents - 1);

        await host.StartAsync();
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 150);

        Assert.Equal(Outcomes.ConfirmedInsider, closed.Outcome);
        Assert.Contains(closed.Timeline, t => t.Step == "site offboarded" && t.Detail.StartsWith($"{SiteAgents} of {SiteAgents} accounts", StringComparison.Ordinal));
        DirectoryState directory = host.DirectoryNow();
        foreach (string upn in SiteAgentNames())
        {
            Assert.False(directory.Enabled(upn), $"{upn} is still enabled");
            Assert.True(directory.SessionsRevoked(upn), $"{upn} kept its sessions");
            Assert.Equal(1, directory.Effect($"disable:{upn}"));
        }

        foreach (string group in RaviGroups)
        {
            Assert.Equal(1, directory.Effect($"group-remove:{group}:{Ravi}"));
        }

        Assert.Equal(0, directory.Effect("disable:liza.r@vendor.example")); // another site
        // A finished batch is recorded, so a restart does not revoke it again; only the batches the kill caught between
        // their directory call and their record can repeat — up to one per batch in flight (the policy runs 4 at once; CI
        // once caught two: 30 agents). (The subject's sessions are revoked at containment too.)
        int repeated = SiteAgentNames().Skip(1).Count(u => directory.Effect($"revoke-sessions:{u}") > 1);
        output.WriteLine($"agents whose sessions were revoked more than once: {repeated} of {SiteAgents - 1}");
        Assert.InRange(repeated, 0, Parallelism * BatchSize);
        var mails = host.Mails();
        Assert.Equal(["ciso@contoso-pay.example", "security@northwind-bank.example"],
            mails.Where(m => Category(m) == "client-notice").SelectMany(m => m.GetProperty("to").EnumerateArray().Select(t => t.GetString()!)).Order());
        Assert.Single(mails, m => Category(m) == "vendor-notice");
        var approvalMails = mails.Where(m => Category(m) == "approval-request")
            .Select(m => (Gate: m.GetProperty("customArgs").GetProperty("gateId").GetString(), To: string.Join(",", m.GetProperty("to").EnumerateArray().Select(t => t.GetString()))))
            .ToList();
        Assert.Equal(approvalMails.Count, approvalMails.Distinct().Count());
    }

    [Fact]
    public async Task False_positive_restore_killed_midway_restores_each_membership_and_the_account_once()
    {
        using LocalHostProcess host = Start("crash-restore");
        await host.StartAsync("--directory-latency-ms", "1000");
        var (id, _) = await host.SendAsync(Sample());
        await host.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1, seconds: 60);

        await host.DecideAsync(await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm"), Decisions.Reject);
        DirectoryState atKill = await WaitForDirectoryAsync(host, d => RaviGroups.Any(g => d.Effect($"group-add:{g}:{Ravi}") > 0), "the restore to start");
        host.Kill();
        Assert.False(atKill.Enabled(Ravi), "the kill was meant to land before the account was re-enabled");

        await host.StartAsync();
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 120);

        Assert.Equal(Outcomes.FalsePositive, closed.Outcome);
        DirectoryState directory = host.DirectoryNow();
        Assert.True(directory.Enabled(Ravi));
        Assert.Equal(1, directory.Effect($"enable:{Ravi}"));
        Assert.Equal(1, directory.Effect($"disable:{Ravi}"));
        foreach (string group in RaviGroups)
        {
            Assert.Equal(1, directory.Effect($"group-remove:{group}:{Ravi}"));
            Assert.Equal(1, directory.Effect($"group-add:{group}:{Ravi}"));
        }

        Assert.Equal(RaviGroups.Order(), directory.Accounts[Ravi].GetProperty("groups").EnumerateArray().Select(g => g.GetString()!).Order());
        Assert.Single(closed.Timeline, t => t.Step == "access restored");
    }

    [Fact]
    public async Task Killed_at_the_confirm_gate_a_decision_right_after_the_restart_takes_effect_within_60_seconds()
    {
        // The default message visibility (30 s): nothing passed, the host's own default is under test.
        using LocalHostProcess host = Start("crash-resume", visibilitySeconds: null);
        await host.StartAsync();
        var (id, _) = await host.SendAsync(Sample());
        // Killed the moment the approval mail is out: the step that sent it may not be recorded yet, and its
        // message stays invisible for the visibility timeout before the restarted host runs it again.
        string confirm = await host.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        host.Kill();

        await host.StartAsync();
        var restarted = System.Diagnostics.Stopwatch.StartNew();
        await host.DecideAsync(confirm, Decisions.Reject);
        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 90);
        TimeSpan resumedIn = restarted.Elapsed;
        output.WriteLine($"decision took effect {resumedIn.TotalSeconds:0.0} s after the restart");

        Assert.Equal(Outcomes.FalsePositive, closed.Outcome);
        Assert.True(resumedIn < TimeSpan.FromSeconds(60), $"the incident moved on {resumedIn.TotalSeconds:0.0} s after the restart");
        DirectoryState directory = host.DirectoryNow();
        Assert.True(directory.Enabled(Ravi));
        Assert.Equal(1, directory.Effect($"disable:{Ravi}"));
        Assert.Equal(1, directory.Effect($"enable:{Ravi}"));
    }

    LocalHostProcess Start(string hub, int? visibilitySeconds = 15)
    {
        string dataDir = Directory.CreateTempSubdirectory("cordon-crash-").FullName;
        string policy = Path.Combine(dataDir, "policy.json");
        File.WriteAllText(policy, Policy);
        string world = TestHost.EditedWorld(w =>
        {
            JsonNode site = TestHost.Site(w, Site);
            site["generatedAgents"] = SiteAgents - site["agents"]!.AsArray().Count;
        });
        // A fresh task hub per test: incidents of one test never run in another's host.
        List<string> arguments = ["--store", "azurite", azurite.ConnectionString, "--task-hub", hub.Replace("-", "", StringComparison.Ordinal), "--policy", policy, "--world", world];
        if (visibilitySeconds is { } seconds)
        {
            arguments.AddRange(["--message-visibility-seconds", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        return new LocalHostProcess(dataDir, arguments);
    }

    static IEnumerable<string> SiteAgentNames()
    {
        yield return Ravi;
        yield return "asha.m@vendor.example";
        yield return "dev.p@vendor.example";
        for (int i = 1; i <= SiteAgents - 3; i++)
        {
            yield return $"agent{i:D5}.{Site}@vendor.example";
        }
    }

    static int SiteAgentsDisabled(DirectoryState d) => SiteAgentNames().Count(upn => !d.Enabled(upn));

    static string Sample() => File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json"));

    static string? Category(JsonElement mail) => mail.GetProperty("category").GetString();

    /// <summary>Polls the persisted directory until a step is visibly under way (the moment to kill).</summary>
    static Task<DirectoryState> WaitForDirectoryAsync(LocalHostProcess host, Func<DirectoryState, bool> condition, string what) =>
        Eventually.Until(host.DirectoryNow, condition, TimeSpan.FromSeconds(90), what, _ => "host output: " + host.Output, TimeSpan.FromMilliseconds(25));
}
