namespace Cordon.Tests.Policy;

/// <summary>The response policy is configuration: a bad one is refused at start-up, naming the field.</summary>
[Trait("Category", "Unit")]
public sealed class ResponsePolicyTests
{
    /// <summary>A policy valid before the spans were bounded still loads: only a first retry of five minutes (found by an attack: refused against the one-minute default cap).</summary>
    [Fact]
    public void A_first_retry_longer_than_the_default_cap_still_loads()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), ResponsePolicy.Parse("""{ "retry": { "firstRetry": "00:05:00" } }""", "test.json").Retry.FirstRetry);
    }

    [Theory]
    [InlineData("""{ "autoContainAtOrAbove": "severe" }""", "autoContainAtOrAbove must be low, medium, high or critical")]
    [InlineData("""{ "recordOnlyBelow": "tiny" }""", "recordOnlyBelow must be low, medium, high or critical")]
    [InlineData("""{ "confirm": { "chain": [] } }""", "confirm.chain must name 1..10 approver roles")]
    [InlineData("""{ "notify": { "chain": ["legal"], "stepTimeout": "-00:01:00" } }""", "notify.stepTimeout must be positive")]
    [InlineData("""{ "confirm": { "chain": ["securityLead"], "quorum": 0 } }""", "confirm.quorum must be at least 1")]
    [InlineData("""{ "vendorOffboarding": { "chain": ["vendorManagement"], "quorum": 1 } }""", "vendorOffboarding.quorum must be at least 2")]
    [InlineData("""{ "offboardingTrigger": { "confirmedInsiders": 0 } }""", "offboardingTrigger.confirmedInsiders must be at least 1")]
    [InlineData("""{ "offboardingTrigger": { "window": "00:00:00" } }""", "offboardingTrigger.window must be positive")]
    [InlineData("""{ "retry": { "maxAttempts": 0 } }""", "retry.maxAttempts must be at least 1")]
    [InlineData("""{ "retry": { "backoffCoefficient": 0.5 } }""", "retry.backoffCoefficient must be at least 1")]
    [InlineData("""{ "clocks": { "GDPR": { "within": "00:00:00" } } }""", "clocks.GDPR.within must be positive")]
    [InlineData("""{ "reminderLeadTimes": ["-01:00:00"] }""", "reminderLeadTimes must all be positive")]
    [InlineData("""{ "exposure": { "entra-token": "-00:10:00" } }""", "exposure.entra-token must not be negative")]
    [InlineData("""{ "offboardingBatchSize": 50 }""", "offboardingBatchSize must be 1..20")]
    [InlineData("""{ "offboardingParallelism": 0 }""", "offboardingParallelism must be 1..64")]
    // Found by an attack: 5,000,000 days loaded as valid, and every incident failed when its gate opened.
    [InlineData("""{ "confirm": { "chain": ["securityLead"], "stepTimeout": "5000000.00:00:00" } }""", "confirm.stepTimeout must be positive (at most 30 days)")]
    [InlineData("""{ "retry": { "maxRetryInterval": "-00:01:00" } }""", "retry.maxRetryInterval must be positive")]
    [InlineData("""{ "confirm": { "chain": ["a","b","c","d","e","f","g","h","i","j","k"] } }""", "confirm.chain must name 1..10 approver roles")]
    [InlineData("""{ "offboardingTrigger": { "window": "5000000.00:00:00" } }""", "offboardingTrigger.window must be positive (at most 400 days)")]
    [InlineData("""{ "exposure": { "cae": "5000000.00:00:00" } }""", "exposure.cae must not be negative (at most 400 days)")]
    [InlineData("""{ "confirm": { "chain": ["securityLead"], "stepTimeout": "an hour" } }""", "at $.confirm.stepTimeout")]
    [InlineData("""{ "confrim": { "chain": ["securityLead"] } }""", "confrim")]
    [InlineData("""{ "exposure": { "cae": 15 } }""", "at $.exposure.cae")]
    public void Bad_policy_is_refused_naming_the_field(string json, string expected)
    {
        var ex = Assert.Throws<PolicyException>(() => ResponsePolicy.Parse(json, "test.json"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("test.json", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Each rule of the monitoring section, broken on its own, is refused with its own message.</summary>
    [Theory]
    [InlineData("""{ "alertThreshold": 101 }""", "monitoring.alertThreshold must be above 0 and at most 100")]
    [InlineData("""{ "closeBelow": 60 }""", "monitoring.closeBelow must be at least 0 and below alertThreshold")]
    [InlineData("""{ "decayHalfLife": "-00:01:00" }""", "monitoring.decayHalfLife must be positive")]
    [InlineData("""{ "shiftHours": { "start": "1.00:00:00" } }""", "monitoring.shiftHours.start must be a time of day")]
    [InlineData("""{ "shiftHours": { "end": "-01:00:00" } }""", "monitoring.shiftHours.end must be a time of day")]
    [InlineData("""{ "baselineWindow": "00:59:00" }""", "monitoring.baselineWindow must be at least one hour")]
    [InlineData("""{ "minBaselineHours": 0 }""", "monitoring.minBaselineHours must be at least 1")]
    [InlineData("""{ "volumeZ": 0 }""", "monitoring.volumeZ must be positive")]
    [InlineData("""{ "peerZ": -1 }""", "monitoring.peerZ must be positive")]
    [InlineData("""{ "minHourlyVolume": 0 }""", "monitoring.minHourlyVolume must be at least 1")]
    [InlineData("""{ "minPeers": 1 }""", "monitoring.minPeers must be at least 2")]
    [InlineData("""{ "ticketGrace": "-00:00:01" }""", "monitoring.ticketGrace must not be negative")]
    [InlineData("""{ "burstCustomers": 1 }""", "monitoring.burstCustomers must be at least 2")]
    [InlineData("""{ "burstWindow": "00:00:00" }""", "monitoring.burstWindow must be positive")]
    [InlineData("""{ "dedupeWindow": "00:09:59" }""", "monitoring.dedupeWindow must be at least 10 minutes")]
    [InlineData("""{ "ticketGraceMinutes": 1441 }""", "monitoring.ticketGraceMinutes must be 0..1440")]
    [InlineData("""{ "ticketFeedLagMinutes": -1 }""", "monitoring.ticketFeedLagMinutes must be 0..1440")]
    [InlineData("""{ "reviewerRoles": ["qa", "auditor"] }""", "monitoring.reviewerRoles: \"auditor\" is not one of")]
    [InlineData("""{ "historyDays": 29 }""", "monitoring.historyDays must be 30..400")]
    [InlineData("""{ "slowHarvestAlertFloor": 0 }""", "monitoring.slowHarvestAlertFloor must be at least 1")]
    [InlineData("""{ "minHistoryDays": 0 }""", "monitoring.minHistoryDays must be at least 1")]
    [InlineData("""{ "strongSeverity": "severe" }""", "monitoring.strongSeverity must be low, medium, high or critical")]
    [InlineData("""{ "moderateSeverity": "severe" }""", "monitoring.moderateSeverity must be low, medium, high or critical")]
    [InlineData("""{ "strongSeverity": "medium", "moderateSeverity": "high" }""", "monitoring.moderateSeverity must not be above strongSeverity")]
    [InlineData("""{ "usualHourShare": 0 }""", "monitoring.usualHourShare must be above 0 and at most 1")]
    [InlineData("""{ "siteHourShare": 1.5 }""", "monitoring.siteHourShare must be above 0 and at most 1")]
    [InlineData("""{ "weights": { "burst": 1001 } }""", "monitoring.weights.burst must be 0..1000")]
    public void A_bad_monitoring_setting_is_refused_with_its_own_message(string monitoring, string expected)
    {
        var ex = Assert.Throws<PolicyException>(() => ResponsePolicy.Parse($$"""{ "monitoring": {{monitoring}} }""", "test.json"));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_moderate_severity_is_named_once_not_also_compared_with_the_strong_one()
    {
        var ex = Assert.Throws<PolicyException>(() => ResponsePolicy.Parse("""{ "monitoring": { "moderateSeverity": "severe" } }""", "test.json"));

        Assert.DoesNotContain("must not be above strongSeverity", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_bad_field_is_named_not_just_the_first()
    {
        var ex = Assert.Throws<PolicyException>(() => ResponsePolicy.Parse("""{ "offboardingBatchSize": 0, "offboardingParallelism": 0, "reminderLeadTimes": ["00:00:00"] }""", "p"));
        Assert.Contains("offboardingBatchSize", ex.Message, StringComparison.Ordinal);
        Assert.Contains("offboardingParallelism", ex.Message, StringComparison.Ordinal);
        Assert.Contains("reminderLeadTimes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sample_policy_spells_out_exactly_the_built_in_defaults()
    {
        ResponsePolicy sample = ResponsePolicy.Load(Repo.Path("samples/policy.json"));

        JsonNode expected = JsonSerializer.SerializeToNode(ResponsePolicy.Default, ResponsePolicy.Json)!;
        JsonNode actual = JsonSerializer.SerializeToNode(sample, ResponsePolicy.Json)!;
        Assert.True(JsonNode.DeepEquals(expected, actual), $"samples/policy.json differs from the defaults:\n{actual}\n---\n{expected}");
    }

    [Fact]
    public void Durations_in_seconds_and_business_day_clocks_are_read()
    {
        ResponsePolicy p = ResponsePolicy.Parse("""
            { "clocks": { "CERT-In": { "within": "00:00:06", "from": "detected" }, "SEC-8K": { "businessDays": 4 } },
              "exposure": { "vpn": "00:05:00" } }
            """, "p");

        Assert.Equal(TimeSpan.FromSeconds(6), p.Clocks["CERT-In"].Within);
        Assert.Equal(ClockStart.Detected, p.Clocks["CERT-In"].From);
        var friday = new DateTime(2026, 11, 27, 10, 0, 0, DateTimeKind.Utc);
        Assert.Equal(new DateTime(2026, 12, 3, 10, 0, 0, DateTimeKind.Utc), p.Clocks["SEC-8K"].DueFrom(friday)); // Mon, Tue, Wed... 4 business days
        Assert.Equal(TimeSpan.FromMinutes(5), p.Exposure["vpn"]);
    }

    [Fact]
    public async Task Host_refuses_to_start_with_an_invalid_policy_and_names_the_field()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => TestHost.StartAsync("""{ "offboardingBatchSize": 99 }"""));
        string all = ex.ToString();
        Assert.Contains("offboardingBatchSize must be 1..20", all, StringComparison.Ordinal);
    }

    [Fact]
    public void A_clock_started_near_the_calendars_end_saturates_instead_of_failing_the_incident()
    {
        ResponsePolicy p = ResponsePolicy.Default;
        DateTime lastHour = DateTime.MaxValue.AddHours(-1);

        Assert.Equal(DateTime.MaxValue, p.Clocks["CERT-In"].DueFrom(lastHour));
        Assert.Equal(DateTime.MaxValue, p.Clocks["SEC-8K"].DueFrom(lastHour));
    }
}
