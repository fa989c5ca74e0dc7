using Cordon.Behaviour;
using Cordon.Tests.Alerts;
using Cordon.Tests.Behaviour;
using Json.Schema;

namespace Cordon.Tests.Infra;

/// <summary>
/// The published contracts (docs/schemas) say what the parsers do: every sample is valid, and on a table of
/// bad inputs — the parsers' own tables of refused alerts and events — and of accepted variants, the schema
/// and the parser give the same verdict.
/// </summary>
public sealed class ContractSchemaTests
{
    static readonly Lazy<JsonSchema> AlertSchema = new(() => Load("risk-alert.v1.schema.json"));
    static readonly Lazy<JsonSchema> EventSchema = new(() => Load("access-event.v1.schema.json"));

    static JsonSchema Load(string name) => JsonSchema.FromText(File.ReadAllText(Repo.Path("docs/schemas/" + name)));

    static EvaluationResults Validate(JsonSchema schema, string json)
    {
        using JsonDocument doc = JsonDocument.Parse(json);
        return schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
    }

    /// <summary>Fails naming each schema error (where in the document, and why), prefixed with <paramref name="what"/>.</summary>
    static void AssertValid(JsonSchema schema, string json, string what = "")
    {
        EvaluationResults r = Validate(schema, json);
        Assert.True(r.IsValid, what + string.Join("; ", (r.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"))));
    }

    static void AssertInvalid(JsonSchema schema, string json, string parserSays) =>
        Assert.False(Validate(schema, json).IsValid, $"the schema accepts what the parser refuses ({parserSays})");

    static JsonObject SampleAlert() => JsonNode.Parse(File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json")))!.AsObject();

    static JsonObject SampleEvent() => JsonNode.Parse(File.ReadAllText(Repo.Path("samples/telemetry/harvest.json")))!.AsArray()
        .Select(e => e!.AsObject()).First(e => (string?)e["action"] == "view-record").DeepClone().AsObject();

    static JsonObject Edited(JsonObject node, Action<JsonObject> edit)
    {
        edit(node);
        return node;
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void Every_sample_alert_and_telemetry_batch_is_valid_against_its_schema_and_accepted_by_its_parser()
    {
        foreach (string file in Directory.GetFiles(Repo.Path("samples/alerts"), "*.json"))
        {
            AssertValid(AlertSchema.Value, File.ReadAllText(file), $"{Path.GetFileName(file)}: ");
            Assert.True(AlertParser.Parse(File.ReadAllBytes(file)).IsValid, file);
        }

        string[] batches = Directory.GetFiles(Repo.Path("samples/telemetry"), "*.json");
        Assert.NotEmpty(batches);
        foreach (string file in batches)
        {
            AssertValid(EventSchema.Value, File.ReadAllText(file), $"{Path.GetFileName(file)}: ");
            BatchParseResult parsed = AccessEventParser.ParseBatch(File.ReadAllBytes(file));
            Assert.True(parsed.IsValid && parsed.Rejected.Count == 0, file);
        }
    }

    /// <summary>Alerts the parser accepts in forms the samples do not show: the schema must accept them too.</summary>
    public static TheoryData<string, Func<JsonNode>> AcceptedAlerts() => new()
    {
        { "optional fields null", () => Edited(SampleAlert(), a => { a["severity"] = null; a["evidence"] = null; a["clientIds"] = null; a["subject"]!["displayName"] = null; }) },
        { "optional fields absent", () => Edited(SampleAlert(), a => { a.Remove("severity"); a.Remove("indicators"); a.Remove("affectedRecords"); }) },
        { "offset time zone and fraction", () => Edited(SampleAlert(), a => a["detectedAt"] = "2026-11-25T14:42:00.250+05:30") },
        { "score at the bounds", () => Edited(SampleAlert(), a => a["riskScore"] = 100) },
        { "unknown extra field", () => Edited(SampleAlert(), a => a["producerNote"] = "ignored") },
        { "cloud event", () => new JsonObject { ["specversion"] = "1.0", ["type"] = AlertParser.CloudEventType, ["id"] = "1", ["source"] = "/x", ["data"] = SampleAlert() } },
    };

    [Theory]
    [Trait("Category", "Unit")]
    [MemberData(nameof(AcceptedAlerts))]
    public void An_alert_the_parser_accepts_is_valid_against_the_schema(string _, Func<JsonNode> alert)
    {
        string json = alert().ToJsonString();
        Assert.True(AlertParser.Parse(Encoding.UTF8.GetBytes(json)).IsValid);
        AssertValid(AlertSchema.Value, json);
    }

    [Theory]
    [Trait("Category", "Unit")]
    [MemberData(nameof(AlertParserTests.Malformed), MemberType = typeof(AlertParserTests))]
    public void An_alert_the_parser_refuses_is_invalid_against_the_schema(string _, Func<JsonNode> alert, string parserSays)
    {
        string json = alert().ToJsonString();
        Assert.Contains(AlertParser.Parse(Encoding.UTF8.GetBytes(json)).Errors, e => e.Contains(parserSays, StringComparison.Ordinal));
        AssertInvalid(AlertSchema.Value, json, parserSays);
    }

    public static TheoryData<string, Func<JsonNode>> AcceptedEvents() => new()
    {
        { "view with the ticket it was made for", () => Edited(SampleEvent(), e => e["ticketId"] = "T-1042") },
        { "optional fields null", () => Edited(SampleEvent(), e => { e["recordId"] = null; e["count"] = null; e["ticketId"] = null; }) },
        { "login needs no customer", () => Edited(SampleEvent(), e => { e["action"] = "login"; e.Remove("customerId"); e.Remove("recordId"); }) },
        { "ticket with customer and ticket", () => Edited(SampleEvent(), e => { e["action"] = "ticket-closed"; e["ticketId"] = "T-7"; }) },
        { "a batch", () => new JsonArray(SampleEvent(), Edited(SampleEvent(), e => e["eventId"] = "evt-other")) },
    };

    [Theory]
    [Trait("Category", "Unit")]
    [MemberData(nameof(AcceptedEvents))]
    public void An_access_event_the_parser_accepts_is_valid_against_the_schema(string _, Func<JsonNode> batch)
    {
        string json = batch().ToJsonString();
        BatchParseResult parsed = AccessEventParser.ParseBatch(Encoding.UTF8.GetBytes(json));
        Assert.True(parsed.IsValid && parsed.Rejected.Count == 0, string.Join("; ", parsed.Rejected.SelectMany(r => r.Errors)));
        AssertValid(EventSchema.Value, json);
    }

    [Theory]
    [Trait("Category", "Unit")]
    [MemberData(nameof(AccessEventParserTests.Malformed), MemberType = typeof(AccessEventParserTests))]
    public void An_access_event_the_parser_refuses_is_invalid_against_the_schema(string _, Func<JsonNode> accessEvent, string parserSays)
    {
        string json = accessEvent().ToJsonString();
        Assert.Contains(AccessEventParser.ParseBatch(Encoding.UTF8.GetBytes(json)).Rejected.SelectMany(r => r.Errors), e => e.Contains(parserSays, StringComparison.Ordinal));
        AssertInvalid(EventSchema.Value, json, parserSays);
    }
}
