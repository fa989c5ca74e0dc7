using DurableTask.Core.History;
using Newtonsoft.Json;
using JsonSerializer = Newtonsoft.Json.JsonSerializer;
using Newtonsoft.Json.Linq;

namespace Cordon.Tests.Incidents.Replay;

/// <summary>
/// A recorded orchestration history kept as a JSON file under Fixtures/: the orchestrator it ran on, the path it took,
/// and the DurableTask.Core history events as the storage provider returned them (each names its EventType).
/// </summary>
public sealed record HistoryFixture(string Orchestrator, string Path, string Outcome, IReadOnlyList<HistoryEvent> History)
{
    public static string Folder => Repo.Path("Functions.Tests/Incidents/Replay/Fixtures");

    static readonly JsonSerializerSettings Settings = new()
    {
        DateTimeZoneHandling = DateTimeZoneHandling.Utc,
        DateParseHandling = DateParseHandling.None,
        Formatting = Formatting.Indented,
        Converters = [new Newtonsoft.Json.Converters.StringEnumConverter()],
    };

    public static HistoryFixture Load(string name)
    {
        JObject file = JsonConvert.DeserializeObject<JObject>(File.ReadAllText(System.IO.Path.Combine(Folder, name)), Settings)!;
        return new HistoryFixture((string)file["orchestrator"]!, (string)file["path"]!, (string)file["outcome"]!, Events((JArray)file["history"]!));
    }

    /// <summary>History events from the JSON the Azure Storage provider answers (<c>GetOrchestrationHistoryAsync</c>) or a fixture holds.</summary>
    public static IReadOnlyList<HistoryEvent> Events(string json) => Events(JsonConvert.DeserializeObject<JArray>(json, Settings)!);

    static List<HistoryEvent> Events(JArray events) =>
        [.. events.Cast<JObject>().Select(e => (HistoryEvent)e.ToObject(TypeOf(e), JsonSerializer.Create(Settings))!)];

    /// <summary>The event's class from its EventType: TaskScheduled → TaskScheduledEvent (GenericEvent is its own name).</summary>
    static Type TypeOf(JObject e)
    {
        string kind = e["EventType"]!.Type == JTokenType.Integer ? ((EventType)(int)e["EventType"]!).ToString() : (string)e["EventType"]!;
        return typeof(HistoryEvent).Assembly.GetType($"DurableTask.Core.History.{kind}Event")
            ?? typeof(HistoryEvent).Assembly.GetType($"DurableTask.Core.History.{kind}")
            ?? throw new InvalidDataException($"unknown history event type {kind}");
    }

    public void Save(string name)
    {
        var file = new JObject
        {
            ["orchestrator"] = Orchestrator,
            ["path"] = Path,
            ["outcome"] = Outcome,
            ["history"] = JArray.FromObject(History, JsonSerializer.Create(Settings)),
        };
        File.WriteAllText(System.IO.Path.Combine(Folder, name), JsonConvert.SerializeObject(file, Settings) + "\n");
    }
}
