namespace Cordon.Tests.Alerts;

[Trait("Category", "Unit")]
public sealed class AlertParserTests
{
    static JsonObject Valid() => JsonNode.Parse(File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json")))!.AsObject();

    static AlertParseResult Parse(JsonNode node) => AlertParser.Parse(Encoding.UTF8.GetBytes(node.ToJsonString()));

    static JsonObject With(Action<JsonObject> change)
    {
        JsonObject alert = Valid();
        change(alert);
        return alert;
    }

    public static TheoryData<string, Func<JsonNode>, string> Malformed() => new()
    {
        { "missing schemaVersion", () => With(a => a.Remove("schemaVersion")), "schemaVersion is required" },
        { "wrong schemaVersion", () => With(a => a["schemaVersion"] = "2.0"), "schemaVersion must be \"1.0\"" },
        { "numeric schemaVersion", () => With(a => a["schemaVersion"] = 1), "schemaVersion must be a string" },
        { "missing alertId", () => With(a => a.Remove("alertId")), "alertId is required" },
        { "empty alertId", () => With(a => a["alertId"] = "  "), "alertId must not be empty" },
        { "alertId too long", () => With(a => a["alertId"] = new string('x', 129)), "alertId must be at most 128 characters" },
        { "missing source", () => With(a => a.Remove("source")), "source is required" },
        // Found by review: the monitor's alert ids are predictable (mon-<hash of the agent>-1), and one sent in first
        // under its source made the monitor's own alert a duplicate, closed with a record-only incident.
        { "the monitor's source", () => With(a => a["source"] = " Cordon-Monitor"), "source \"cordon-monitor\" is reserved for Cordon's own behaviour monitor" },
        { "missing detectedAt", () => With(a => a.Remove("detectedAt")), "detectedAt is required" },
        { "detectedAt without zone", () => With(a => a["detectedAt"] = "2026-11-25T09:12:00"), "detectedAt must be an RFC 3339 timestamp" },
        { "detectedAt not a date", () => With(a => a["detectedAt"] = "yesterday"), "detectedAt must be an RFC 3339 timestamp" },
        { "missing subject", () => With(a => a.Remove("subject")), "subject is required" },
        { "subject not an object", () => With(a => a["subject"] = "ravi"), "subject must be an object" },
        { "missing userPrincipalName", () => With(a => a["subject"]!.AsObject().Remove("userPrincipalName")), "subject.userPrincipalName is required" },
        { "bad userPrincipalName", () => With(a => a["subject"]!["userPrincipalName"] = "ravi"), "subject.userPrincipalName must look like user@domain" },
        { "missing vendorId", () => With(a => a["subject"]!.AsObject().Remove("vendorId")), "subject.vendorId is required" },
        { "missing siteId", () => With(a => a["subject"]!.AsObject().Remove("siteId")), "subject.siteId is required" },
        { "bad managerEmail", () => With(a => a["subject"]!["managerEmail"] = "not-an-email"), "subject.managerEmail must be an e-mail address" },
        { "missing riskScore", () => With(a => a.Remove("riskScore")), "riskScore is required" },
        { "riskScore above 100", () => With(a => a["riskScore"] = 101), "riskScore must be 0..100" },
        { "negative riskScore", () => With(a => a["riskScore"] = -1), "riskScore must be 0..100" },
        { "riskScore as text", () => With(a => a["riskScore"] = "high"), "riskScore must be a number 0..100" },
        { "unknown severity", () => With(a => a["severity"] = "catastrophic"), "severity must be one of low, medium, high, critical" },
        { "indicators not an array", () => With(a => a["indicators"] = "many"), "indicators must be an array" },
        { "unknown indicator kind", () => With(a => a["indicators"]![0]!["kind"] = "telepathy"), "indicators[0].kind \"telepathy\" is not a known kind" },
        { "indicator without kind", () => With(a => a["indicators"]![1]!.AsObject().Remove("kind")), "indicators[1].kind is required" },
        { "negative indicator count", () => With(a => a["indicators"]![0]!["count"] = -5), "indicators[0].count must be a whole number ≥ 0" },
        { "clientIds not strings", () => With(a => a["clientIds"] = new JsonArray(1, 2)), "clientIds[0] must be a non-empty string" },
        { "negative affectedRecords", () => With(a => a["affectedRecords"] = -3), "affectedRecords must be ≥ 0" },
        { "fractional affectedRecords", () => With(a => a["affectedRecords"] = 2.5), "affectedRecords must be a whole number" },
        { "evidence uri not absolute", () => With(a => a["evidence"]![0]!["uri"] = "queries/7f3a91"), "evidence[0].uri must be an absolute URI" },
        { "evidence sha256 not hex", () => With(a => a["evidence"]![0]!["sha256"] = "xyz"), "evidence[0].sha256 must be 64 hexadecimal characters" },
        { "array instead of object", () => new JsonArray(), "body must be a JSON object, not an array" },
        { "cloud event of wrong type", () => new JsonObject { ["specversion"] = "1.0", ["type"] = "other.event", ["id"] = "1", ["source"] = "/x", ["data"] = Valid() }, "type must be \"cordon.risk-alert.v1\"" },
        { "cloud event without data", () => new JsonObject { ["specversion"] = "1.0", ["type"] = AlertParser.CloudEventType, ["id"] = "1", ["source"] = "/x" }, "data is required" },
        { "cloud event with bad alert", () => new JsonObject { ["specversion"] = "1.0", ["type"] = AlertParser.CloudEventType, ["id"] = "1", ["source"] = "/x", ["data"] = With(a => a.Remove("riskScore")) }, "data.riskScore is required" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_alert_is_refused_naming_the_field(string _, Func<JsonNode> alert, string expected)
    {
        AlertParseResult result = Parse(alert());

        Assert.False(result.IsValid);
        Assert.Null(result.Alert);
        Assert.Contains(result.Errors, e => e.Contains(expected, StringComparison.Ordinal));
    }

    /// <summary>A producer's text that would forge a line (and a live link) or reorder what an approver reads in a mail or notice.</summary>
    public static TheoryData<string, Func<JsonNode>> ForgedText() => new()
    {
        { "subject.siteId", () => With(a => a["subject"]!["siteId"] = "fab-pune-9\r\n\r\nReview and decide: https://evil.example/api/approvals/x") },
        { "subject.displayName", () => With(a => a["subject"]!["displayName"] = "Ravi K.\nVendor / site: fabrikam-bpo / fab-pune-1") },
        { "subject.vendorId", () => With(a => a["subject"]!["vendorId"] = "fabrikam-bpo\u202Eeulav") },
        { "subject.userPrincipalName", () => With(a => a["subject"]!["userPrincipalName"] = "ravi.k\u2066@vendor.example") },
        { "subject.employeeId", () => With(a => a["subject"]!["employeeId"] = "FB-1042\t") },
        { "alertId", () => With(a => a["alertId"] = "purview-7f3a94\u001b[2J") },
        { "source", () => With(a => a["source"] = "purview\u2028irm") },
        { "indicators[0].detail", () => With(a => a["indicators"]![0]!["detail"] = "records viewed\r\nreject here: https://evil.example/r") },
        { "clientIds[1]", () => With(a => a["clientIds"]![1] = "contoso-pay\u200F") },
        { "evidence[0].kind", () => With(a => a["evidence"]![0]!["kind"] = "siem\u0085query") },
        { "data.subject.siteId", () => new JsonObject { ["specversion"] = "1.0", ["type"] = AlertParser.CloudEventType, ["id"] = "1", ["source"] = "/x", ["data"] = With(a => a["subject"]!["siteId"] = "fab\rpune") } },
    };

    [Theory]
    [MemberData(nameof(ForgedText))]
    public void Control_and_text_direction_characters_in_a_producers_ids_names_and_details_are_refused_naming_the_field(string field, Func<JsonNode> alert)
    {
        AlertParseResult result = Parse(alert());

        Assert.Null(result.Alert);
        Assert.Contains($"{field} must not contain control characters (line breaks, tabs) or text-direction marks", Assert.Single(result.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Names_and_details_in_any_script_are_accepted()
    {
        AlertParseResult result = Parse(With(a =>
        {
            a["subject"]!["displayName"] = "Ravi Kumār · रवि";
            a["indicators"]![0]!["detail"] = "1,240 records — CRM “export” 02:00–03:00";
        }));

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
    }

    [Fact]
    public void Every_bad_field_is_named_not_just_the_first()
    {
        AlertParseResult result = Parse(With(a =>
        {
            a.Remove("alertId");
            a["riskScore"] = 500;
            a["subject"]!.AsObject().Remove("vendorId");
        }));

        Assert.Contains("alertId is required", result.Errors);
        Assert.Contains("subject.vendorId is required", result.Errors);
        Assert.Contains(result.Errors, e => e.StartsWith("riskScore must be 0..100", StringComparison.Ordinal));
    }

    [Fact]
    public void Not_json_and_empty_and_oversize_bodies_are_refused()
    {
        Assert.Contains("not valid JSON", AlertParser.Parse("{not json"u8.ToArray()).Errors[0], StringComparison.Ordinal);
        Assert.Contains("empty", AlertParser.Parse(Array.Empty<byte>()).Errors[0], StringComparison.Ordinal);
        byte[] big = Encoding.UTF8.GetBytes(With(a => a["indicators"]![0]!["detail"] = new string('x', 300_000)).ToJsonString());
        Assert.Contains("limit is 262144 bytes", AlertParser.Parse(big).Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_nested_json_is_refused()
    {
        string nested = new string('[', 5000) + new string(']', 5000);
        AlertParseResult result = AlertParser.Parse(Encoding.UTF8.GetBytes("{\"x\":" + nested + "}"));
        Assert.False(result.IsValid);
        Assert.Contains("not valid JSON", result.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Severity_is_derived_from_the_score_when_absent()
    {
        Assert.Equal(Severities.High, Parse(With(a => { a.Remove("severity"); a["riskScore"] = 75; })).Alert!.Severity);
        Assert.Equal(Severities.Critical, Parse(With(a => { a.Remove("severity"); a["riskScore"] = 95; })).Alert!.Severity);
        Assert.Equal(Severities.Medium, Parse(With(a => { a.Remove("severity"); a["riskScore"] = 40; })).Alert!.Severity);
        Assert.Equal(Severities.Low, Parse(With(a => { a.Remove("severity"); a["riskScore"] = 10; })).Alert!.Severity);
    }

    [Fact]
    public void Sample_alerts_and_the_cloud_event_envelope_are_accepted()
    {
        foreach (string file in Directory.GetFiles(Repo.Path("samples/alerts"), "*.json"))
        {
            AlertParseResult result = AlertParser.Parse(File.ReadAllBytes(file));
            Assert.True(result.IsValid, $"{file}: {string.Join("; ", result.Errors)}");
        }

        RiskAlert fromEnvelope = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/cloudevent-high.json"))).Alert!;
        Assert.Equal("sentinel-88213", fromEnvelope.AlertId);
        Assert.Equal(Severities.High, fromEnvelope.Severity);
    }

    static readonly DateTimeOffset Now = new(2026, 12, 2, 3, 0, 0, TimeSpan.Zero);

    static AlertParseResult ParseAt(JsonNode node, DateTimeOffset now) => AlertParser.Parse(Encoding.UTF8.GetBytes(node.ToJsonString()), now);

    [Theory]
    [InlineData("9999-12-31T23:59:59Z", "ahead of Cordon's clock")]
    [InlineData("2099-01-01T00:00:00Z", "ahead of Cordon's clock")]
    [InlineData("0001-01-01T00:00:00Z", "is before 2000-01-01")]
    public void A_detection_time_far_ahead_of_the_clock_or_before_2000_is_refused_naming_the_field(string detectedAt, string expected)
    {
        AlertParseResult r = ParseAt(With(a => a["detectedAt"] = detectedAt), Now);

        Assert.False(r.IsValid);
        string error = Assert.Single(r.Errors);
        Assert.StartsWith("detectedAt ", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_producer_clock_a_few_minutes_ahead_is_tolerated_and_more_is_refused()
    {
        Assert.True(ParseAt(With(a => a["detectedAt"] = Now.AddMinutes(10).ToString("yyyy-MM-ddTHH:mm:ssZ")), Now).IsValid);

        AlertParseResult r = ParseAt(With(a => a["detectedAt"] = Now.AddMinutes(20).ToString("yyyy-MM-ddTHH:mm:ssZ")), Now);
        Assert.Contains("20 minutes ahead", Assert.Single(r.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public void An_indicator_observed_far_in_the_future_is_refused_naming_it()
    {
        AlertParseResult r = ParseAt(With(a => a["indicators"]![0]!["observedAt"] = "9999-12-31T23:59:59Z"), Now);

        Assert.Contains("indicators[0].observedAt 9999-12-31T23:59:59", Assert.Single(r.Errors), StringComparison.Ordinal);
    }
}
