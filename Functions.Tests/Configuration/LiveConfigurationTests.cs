using Cordon.Configuration;
using Cordon.Monitoring;

namespace Cordon.Tests.Configuration;

/// <summary>The world and the policy are re-read while the host runs; a broken version is refused and the last good one stays.</summary>
public sealed class LiveConfigurationTests
{
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(150);

    static Task<TestHost> StartAsync(string world) =>
        TestHost.StartAsync(world: world, configure: s => s.Configure<ConfigurationOptions>(o => o.PollInterval = Poll));

    static async Task<(int Status, HealthReportBody Body)> HealthAsync(TestHost host)
    {
        using HttpResponseMessage response = await host.Http.GetAsync(new Uri("/api/health", UriKind.Relative));
        HealthReportBody body = (await response.Content.ReadFromJsonAsync<HealthReportBody>(Cordon.World.CordonJson.Options))!;
        return ((int)response.StatusCode, body);
    }

    static Task<(int Status, HealthReportBody Body)> WaitForHealthAsync(TestHost host, Func<(int Status, HealthReportBody Body), bool> until) =>
        Eventually.Until(() => HealthAsync(host), until, TimeSpan.FromSeconds(20), "the health report to change",
            h => $"{h.Status} {h.Body.Status} ({h.Body.ConfigurationVersion})", TimeSpan.FromMilliseconds(100));

    static async Task WriteAsync(string path, JsonNode json) => await File.WriteAllTextAsync(path, json.ToJsonString());

    [Fact]
    public async Task Changed_world_and_policy_take_effect_without_a_restart_and_the_incident_records_their_version()
    {
        string worldPath = TestHost.EditedWorld(_ => { });
        await using TestHost host = await StartAsync(worldPath);
        var (status, before) = await HealthAsync(host);
        Assert.Equal(200, status);
        Assert.Equal("healthy", before.Status);

        JsonNode world = JsonNode.Parse(await File.ReadAllTextAsync(worldPath), null, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        world["approvers"]!["securityLead"] = new JsonArray("new.lead@cordon-customer.example");
        await WriteAsync(worldPath, world);
        string policyPath = Path.Combine(host.DataDir, "policy.json");
        JsonNode policy = JsonNode.Parse(TestHost.FastPolicy)!;
        policy["autoContainAtOrAbove"] = "critical";
        await WriteAsync(policyPath, policy);

        var (_, after) = await WaitForHealthAsync(host, h => h.Body.ConfigurationVersion != before.ConfigurationVersion && !h.Body.ConfigurationVersion.Contains(VersionOf(before, "policy"), StringComparison.Ordinal));
        Assert.Equal("healthy", after.Status);
        Assert.NotEqual(VersionOf(before, "world"), VersionOf(after, "world"));
        Assert.NotEqual(VersionOf(before, "policy"), VersionOf(after, "policy"));

        // A new incident plans with the new world: the new security lead is asked, and the version is on the incident.
        var (_, id, _) = await host.SendSampleAsync();
        IncidentDetail d = await host.WaitForAsync(id, d => d.PendingApprovals.Count == 1);
        Assert.Contains("new.lead@cordon-customer.example", d.PendingApprovals[0].Approvers);
        Assert.Equal(after.ConfigurationVersion, d.ConfigurationVersion);
    }

    [Fact]
    public async Task Broken_world_is_refused_naming_every_bad_field_the_last_good_stays_health_degrades_and_operators_are_mailed()
    {
        string worldPath = TestHost.EditedWorld(_ => { });
        await using TestHost host = await StartAsync(worldPath);
        var (_, before) = await HealthAsync(host);
        var (_, running, _) = await host.SendSampleAsync();
        await host.WaitForAsync(running, d => d.PendingApprovals.Count == 1);

        JsonNode world = JsonNode.Parse(await File.ReadAllTextAsync(worldPath), null, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        TestHost.Site(world, "fab-pune-1")["clientIds"] = new JsonArray("no-such-client");
        world["approvers"]!["ciso"] = new JsonArray("not-an-address");
        await WriteAsync(worldPath, world);

        var (status, health) = await WaitForHealthAsync(host, h => h.Status == 503);
        Assert.Equal(503, status);
        Assert.Equal("degraded", health.Status);
        string reason = health.Checks["configuration"].Description;
        Assert.Contains("vendors[0].sites[0].clientIds names 'no-such-client'", reason, StringComparison.Ordinal);
        Assert.Contains("approvers.ciso[0] 'not-an-address'", reason, StringComparison.Ordinal);
        Assert.Equal(before.ConfigurationVersion, health.ConfigurationVersion); // the last good version stays in force

        Cordon.Local.Connectors.OutboxMail mail = await WaitForMailAsync(host, "Configuration refused: world");
        Assert.Equal(["soc-oncall@cordon-customer.example"], mail.To);
        Assert.Contains("no-such-client", mail.Text, StringComparison.Ordinal);

        // Nothing running is disturbed, and a new alert is still handled with the last good world.
        var (_, id, _) = await host.SendSampleAsync("medium-off-hours.json");
        IncidentDetail d = await host.WaitForAsync(id, d => d.PendingApprovals.Count == 1);
        Assert.Equal(before.ConfigurationVersion, d.ConfigurationVersion);
        IncidentDetail still = (await host.Http.GetFromJsonAsync<IncidentDetail>($"/api/incidents/{running}"))!;
        Assert.Equal(Stages.AwaitingConfirmation, still.Stage);

        // One mail per refused version, not one per poll.
        await Task.Delay(Poll * 4);
        Assert.Single(host.Host.Outbox.List(), m => m.Subject.Contains("Configuration refused", StringComparison.Ordinal));

        // Fixed: healthy again.
        TestHost.Site(world, "fab-pune-1")["clientIds"] = new JsonArray("northwind-bank");
        world["approvers"]!["ciso"] = new JsonArray("chris.ciso@cordon-customer.example");
        await WriteAsync(worldPath, world);
        var (fixedStatus, _) = await WaitForHealthAsync(host, h => h.Status == 200);
        Assert.Equal(200, fixedStatus);
    }

    [Fact]
    public async Task Broken_policy_is_refused_and_the_last_good_policy_stays_in_force()
    {
        await using TestHost host = await StartAsync(TestHost.EditedWorld(_ => { }));

        await RefusedPolicyKeepsTheLastGoodAsync(host, """{ "autoContainAtOrAbove": "sometimes", "offboardingBatchSize": 0 }""", "autoContainAtOrAbove", "offboardingBatchSize");
    }

    /// <summary>
    /// Writes <paramref name="policyJson"/> over the live policy and asserts it is refused: health 503 naming each of
    /// <paramref name="named"/>, the version unchanged, the operators mailed, and a critical alert still contained
    /// under the last good policy. Returns the health before the write.
    /// </summary>
    static async Task<HealthReportBody> RefusedPolicyKeepsTheLastGoodAsync(TestHost host, string policyJson, params string[] named)
    {
        var (_, before) = await HealthAsync(host);
        await File.WriteAllTextAsync(Path.Combine(host.DataDir, "policy.json"), policyJson);

        var (status, health) = await WaitForHealthAsync(host, h => h.Status == 503);
        Assert.Equal(503, status);
        string reason = health.Checks["configuration"].Description;
        Assert.All(named, n => Assert.Contains(n, reason, StringComparison.Ordinal));
        Assert.Equal(before.ConfigurationVersion, health.ConfigurationVersion);
        await WaitForMailAsync(host, "Configuration refused: policy");

        var (_, id, _) = await host.SendSampleAsync();
        IncidentDetail d = await host.WaitForAsync(id, d => d.ContainedAt is not null);
        Assert.Equal(before.ConfigurationVersion, d.ConfigurationVersion);
        return before;
    }

    [Fact]
    public async Task A_policy_pushed_with_a_null_is_refused_and_the_host_keeps_running_and_reloading()
    {
        // Found by an attack: "confirm": null threw out of validation, the watcher died and the host stopped.
        await using TestHost host = await StartAsync(TestHost.EditedWorld(_ => { }));
        string policyPath = Path.Combine(host.DataDir, "policy.json");

        HealthReportBody before = await RefusedPolicyKeepsTheLastGoodAsync(host, """{ "confirm": null, "retry": null }""", "confirm", "null");

        // Still watching: a fixed policy is picked up.
        await File.WriteAllTextAsync(policyPath, TestHost.FastPolicy.Replace("\"retry\"", "\"autoContainAtOrAbove\": \"critical\", \"retry\"", StringComparison.Ordinal));
        var (fixedStatus, after) = await WaitForHealthAsync(host, h => h.Status == 200);
        Assert.Equal(200, fixedStatus);
        Assert.NotEqual(before.ConfigurationVersion, after.ConfigurationVersion);
    }

    [Fact]
    public async Task Invalid_world_at_start_stops_start_up_naming_the_field()
    {
        string worldPath = TestHost.EditedWorld(w => w["operators"] = new JsonArray("oncall"));
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(worldPath));
        Assert.Contains("operators[0] 'oncall' is not an e-mail address", ex.ToString(), StringComparison.Ordinal);
    }

    static string VersionOf(HealthReportBody body, string document) =>
        body.ConfigurationVersion.Split("; ").Single(p => p.StartsWith(document + " ", StringComparison.Ordinal));

    static Task<Cordon.Local.Connectors.OutboxMail> WaitForMailAsync(TestHost host, string subject) =>
        Eventually.Found(() => host.Host.Outbox.List().FirstOrDefault(m => m.Subject.Contains(subject, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(20), $"a mail '{subject}' in the outbox", every: TimeSpan.FromMilliseconds(100));
}
