using System.Net.Http.Json;
using System.Text.Json;
using Cordon.Evidence;
using Cordon.Local;
using Cordon.Local.Simulation;
using Cordon.Operators;
using Spectre.Console;

// Cordon's one-machine host and CLI. With no command it serves the API, the approval pages, the
// outbox and the dashboard on http://127.0.0.1:7071 with the embedded Durable Task backend.
var (settings, positional) = LocalSettings.Parse(args);
string command = positional.Count > 0 ? positional[0] : "serve";
string url = args.SkipWhile(a => a != "--url").Skip(1).FirstOrDefault() ?? "http://127.0.0.1:7071";
positional.RemoveAll(p => p == url);

try
{
    return command switch
    {
        "serve" => await ServeAsync(settings),
        "send" when positional.Count > 1 => await SendAsync(positional[1], url),
        "incidents" => await IncidentsAsync(url),
        "incident" when positional.Count > 1 => await IncidentAsync(positional[1], url),
        "simulate" => await SimulateAsync(args, settings, url),
        "evidence" when positional.Count > 2 && positional[1] == "verify" => await VerifyAsync(positional[2], settings),
        "bench" => await Cordon.Local.Bench.Benchmark.RunCommandAsync(positional.Skip(1).ToList()),
        _ => Usage(),
    };
}
catch (Exception ex) when (ex is ArgumentException or HttpRequestException or Cordon.Policy.PolicyException or InvalidDataException or FileNotFoundException
    or Azure.RequestFailedException or AggregateException { InnerException: Azure.RequestFailedException })
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

static async Task<int> ServeAsync(LocalSettings settings)
{
    await using LocalHost host = await LocalHost.StartAsync(settings);
    Console.WriteLine($"Cordon local host on {host.BaseAddress} (store: {settings.Store.ToString().ToLowerInvariant()}, data: {Path.GetFullPath(settings.DataDir)})");
    Console.WriteLine($"  dashboard {host.BaseAddress}  ·  outbox {host.BaseAddress}outbox  ·  API {host.BaseAddress}api/incidents");
    Console.WriteLine("  send an alert: dotnet run --project Functions.Local -- send samples/alerts/critical-bribery.json");
    await host.App.WaitForShutdownAsync();
    return 0;
}

static async Task<int> SendAsync(string path, string url)
{
    if (Directory.Exists(path))
    {
        return await SendFolderAsync(path, url);
    }

    using var http = new HttpClient { BaseAddress = new Uri(url) }.SignedInAs(LocalSignIn.CliName, OperatorRoles.Reader);
    var (status, body) = await PostAlertAsync(http, path);
    Console.WriteLine(status);
    Console.WriteLine(body);
    return status.StartsWith('2') ? 0 : 1;
}

static async Task<(string Status, string Body)> PostAlertAsync(HttpClient http, string file)
{
    using var content = new ByteArrayContent(await File.ReadAllBytesAsync(file));
    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
    HttpResponseMessage response = await http.PostAsync("/api/alerts", content);
    return ($"{(int)response.StatusCode} {response.ReasonPhrase}", await response.Content.ReadAsStringAsync());
}

// Sends every alert of a folder and follows each incident until it is contained or waits on a human.
static async Task<int> SendFolderAsync(string folder, string url)
{
    string[] files = Directory.GetFiles(folder, "*.json").Order(StringComparer.Ordinal).ToArray();
    if (files.Length == 0)
    {
        throw new FileNotFoundException($"no *.json alert in {folder}");
    }

    using var http = new HttpClient { BaseAddress = new Uri(url) }.SignedInAs(LocalSignIn.CliName, OperatorRoles.Reader);
    var results = new List<string[]>();
    await AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new SpinnerColumn(), new ElapsedTimeColumn())
        .StartAsync(async ctx =>
        {
            var tasks = files.ToDictionary(f => f, f => ctx.AddTask(Markup.Escape(Path.GetFileName(f)), maxValue: 2));
            foreach (string file in files)
            {
                ProgressTask task = tasks[file];
                var (status, body) = await PostAlertAsync(http, file);
                task.Increment(1);
                if (!status.StartsWith('2'))
                {
                    task.Description = $"{Markup.Escape(Path.GetFileName(file))} [red]refused {Markup.Escape(status)}[/]";
                    task.StopTask();
                    results.Add([Path.GetFileName(file), status, "—", body.Length > 80 ? body[..80] + "…" : body]);
                    continue;
                }

                string id = JsonDocument.Parse(body).RootElement.GetProperty("incidentId").GetString()!;
                JsonElement d = await SettledAsync(http, id, TimeSpan.FromSeconds(60));
                task.Increment(1);
                string stage = Text(d, "stage");
                task.Description = $"{Markup.Escape(Path.GetFileName(file))} [green]{Markup.Escape(stage)}[/]";
                results.Add([Path.GetFileName(file), status, id,
                    d.TryGetProperty("metrics", out JsonElement m) && m.TryGetProperty("secondsToContain", out JsonElement s) && s.ValueKind == JsonValueKind.Number
                        ? $"{stage}, contained in {s.GetDouble():0.00} s" : stage]);
            }
        });

    var table = new Table().AddColumns("Alert", "Intake", "Incident", "State");
    foreach (string[] r in results)
    {
        table.AddRow(r.Select(Markup.Escape).ToArray());
    }

    AnsiConsole.Write(table);
    return results.All(r => r[1].StartsWith('2')) ? 0 : 1;
}

// Contained, closed, waiting at a gate or for an operator: whatever the incident does next needs a human.
static async Task<JsonElement> SettledAsync(HttpClient http, string id, TimeSpan timeout)
{
    DateTime until = DateTime.UtcNow + timeout;
    while (true)
    {
        JsonElement d = await http.GetFromJsonAsync<JsonElement>($"/api/incidents/{Uri.EscapeDataString(id)}");
        bool settled = Text(d, "containedAt") != "—" || Text(d, "waitingForOperator") != "—" || Text(d, "stage") == "Closed" ||
            (d.TryGetProperty("pendingApprovals", out JsonElement p) && p.GetArrayLength() > 0);
        if (settled || DateTime.UtcNow > until)
        {
            return d;
        }

        await Task.Delay(100);
    }
}

static string Text(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : "—";

static async Task<int> IncidentsAsync(string url)
{
    using var http = new HttpClient { BaseAddress = new Uri(url) }.SignedInAs(LocalSignIn.CliName, OperatorRoles.Reader);
    var rows = await http.GetFromJsonAsync<List<JsonElement>>("/api/incidents") ?? [];
    var table = new Table().AddColumns("Incident", "Subject", "Site", "Severity", "Stage", "Outcome", "Contained in");
    foreach (JsonElement r in rows)
    {
        string S(string n) => r.TryGetProperty(n, out var v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : "—";
        table.AddRow(Markup.Escape(S("incidentId")), Markup.Escape(S("subject")), Markup.Escape(S("siteId")), Markup.Escape(S("severity")),
            Markup.Escape(S("stage")), Markup.Escape(S("outcome")), r.TryGetProperty("secondsToContain", out var s) && s.ValueKind == JsonValueKind.Number ? $"{s.GetDouble():0.00} s" : "—");
    }

    AnsiConsole.Write(table);
    return 0;
}

static async Task<int> IncidentAsync(string id, string url)
{
    using var http = new HttpClient { BaseAddress = new Uri(url) }.SignedInAs(LocalSignIn.CliName, OperatorRoles.Reader);
    HttpResponseMessage response = await http.GetAsync($"/api/incidents/{Uri.EscapeDataString(id)}");
    if (!response.IsSuccessStatusCode)
    {
        Console.Error.WriteLine($"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return 1;
    }

    JsonElement d = await response.Content.ReadFromJsonAsync<JsonElement>();
    AnsiConsole.MarkupLine($"[bold]{Markup.Escape(id)}[/] {Markup.Escape(d.GetProperty("stage").ToString())} {Markup.Escape(d.GetProperty("outcome").ToString())}");
    var table = new Table().AddColumns("At", "Step", "Detail");
    foreach (JsonElement e in d.GetProperty("timeline").EnumerateArray())
    {
        table.AddRow(Markup.Escape(e.GetProperty("at").ToString()), Markup.Escape(e.GetProperty("step").ToString()), Markup.Escape(e.GetProperty("detail").ToString()));
    }

    AnsiConsole.Write(table);
    return 0;
}

static async Task<int> VerifyAsync(string incidentId, LocalSettings settings)
{
    var store = settings.EvidenceStore(TimeProvider.System);
    // The spinner is for people; a script reading the verdict gets the verdict line only.
    var result = AnsiConsole.Profile.Capabilities.Interactive
        ? await AnsiConsole.Status().StartAsync($"Verifying the evidence of {Markup.Escape(incidentId)} (every hash and the custody chain)…",
            _ => store.VerifyAsync(incidentId, CancellationToken.None))
        : await store.VerifyAsync(incidentId, CancellationToken.None);
    Console.WriteLine(result.Ok ? $"OK: {result.Detail}" : $"FAILED: {result.Detail}");
    return result.Ok ? 0 : 1;
}

static async Task<int> SimulateAsync(string[] args, LocalSettings settings, string url)
{
    SimulationOptions o = SimulationOptions.Parse(args);
    // Simulated time ends before now: the scorer runs on event time, so a day of telemetry is replayed in seconds.
    DateTimeOffset start = new(TimeProvider.System.GetUtcNow().UtcDateTime.AddHours(-o.Hours).Date, TimeSpan.Zero);
    SiteSimulation sim = SiteSimulation.Generate(Cordon.Connectors.World.Load(settings.WorldPath), o.Site, o.Agents, o.Hours, o.Insiders, o.Seed, start);
    using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) }.SignedInAs(LocalSignIn.CliName, OperatorRoles.Reader);
    SimulationReport report = await SimulationRun.RunAsync(http, sim, o.BatchSize, Console.Out, CancellationToken.None);
    SimulationRun.Print(report, sim, Console.Out);
    return 0;
}

static int Usage()
{
    Console.Error.WriteLine("""
        usage: dotnet run --project Functions.Local -- [command] [options]
          (no command)             serve the API, approval pages, outbox and dashboard
          send FILE [--url URL]    post an alert file and print the outcome
          send FOLDER [--url URL]  post every *.json alert and follow each until contained or waiting on a human
          incidents [--url URL]    list incidents
          incident ID [--url URL]  show an incident's timeline
          evidence verify ID [--store azurite [CONN]]
                                   recompute every evidence hash and the custody chain
          bench [--quick] [--stores memory,azurite] [--graph-latency-ms 50] [--out docs/benchmarks.md]
                                   measure time to contain, overhead, offboarding, memory and behaviour detection (use -c Release)
          simulate [--agents N] [--hours H] [--insiders K] [--seed S] [--site ID] [--batch N] [--url URL]
                                   post simulated support-tool telemetry, print precision/recall of the incidents raised
        options: --urls URL  --store memory|azurite [CONN]  --world PATH  --policy PATH  --data-dir PATH
                 --service-bus CONN [--queue NAME] [--telemetry-queue NAME]  --base-url URL  --directory-latency-ms N  --telemetry console|none
                 --task-hub NAME  --message-visibility-seconds N (Azurite: how soon a crashed host's steps resume)
        """);
    return 2;
}
