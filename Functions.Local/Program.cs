using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Cordon.Evidence;
using Cordon.Local;
using Cordon.Local.Bench;
using Cordon.Local.Simulation;
using Cordon.Operators;
using Spectre.Console;

// Cordon's one-machine host and CLI. With no command it serves the API, the approval pages, the
// outbox and the dashboard on http://127.0.0.1:7071 with the embedded Durable Task backend.
// Before anything opens a socket: the runtime reads this once, when the first socket is used.
InlineSocketCompletions.PreferUnlessSet();
const string UsageLine = "usage: cordon [serve|send|incidents|incident|evidence verify|simulate|bench] [options]   (cordon help: every command and option)";
string command = "serve";
try
{
    var hostOptionsGiven = new List<string>();
    var (settings, positional) = LocalSettings.Parse(args, hostOptionsGiven);
    // No command word (nothing, or options only): the host.
    bool serveImplied = positional.Count == 0 || positional[0].StartsWith('-');
    CliCommand? cli = serveImplied ? CliCommand.Serve : CliCommand.Find(positional);
    command = cli?.Name ?? positional[0];
    bool helpAsked = args.Any(a => a is "--help" or "-h");
    if (cli is null)
    {
        return Refuse($"unknown command {command}");
    }

    // --help on any command: its usage, and nothing else happens.
    if (helpAsked || cli == CliCommand.Help)
    {
        List<string> topic = positional.Skip(cli == CliCommand.Help ? 1 : 0).Where(p => p is not ("--help" or "-h")).ToList();
        CliCommand? about = cli == CliCommand.Help ? CliCommand.Find(topic) : cli;
        if (cli == CliCommand.Help && topic.Count > 0 && about is null)
        {
            return Refuse($"unknown command {topic[0]} (cordon help lists every one)");
        }

        Console.WriteLine(about is null || (about == CliCommand.Serve && serveImplied && cli != CliCommand.Help) ? FullUsage()
            : about == CliCommand.Bench ? Cordon.Local.Bench.BenchOptions.Help : about.Usage);
        return 0;
    }

    List<string> rest = positional.Skip(serveImplied ? 0 : cli.Name.Split(' ').Length).ToList();
    var (line, problem) = cli.Read(rest, hostOptionsGiven);
    if (line is null)
    {
        return Refuse(problem!, cli.UsageLine);
    }

    string url = line.Value("--url") ?? CliCommand.DefaultUrl;
    if (cli == CliCommand.Evidence && line.Value("--url") is not null && !line.Has("--from-host"))
    {
        return Refuse("--url names the host --from-host reads the recorded head from; without --from-host no host is asked", cli.UsageLine);
    }

    return cli.Name switch
    {
        "serve" => await ServeAsync(settings),
        "send" when line.Arguments.Count > 0 => await SendAsync(line.Arguments[0], url, line.Has("--keep-time")),
        "send" => Refuse("send needs an alert FILE or FOLDER, e.g. cordon send samples/alerts/critical-bribery.json", cli.UsageLine),
        "incidents" => await IncidentsAsync(url, line.Has("--all")),
        "incident" when line.Arguments.Count > 0 => await IncidentAsync(line.Arguments[0], url),
        "incident" => Refuse("incident needs an incident ID (cordon incidents lists them)", cli.UsageLine),
        "simulate" => await SimulateAsync(args, settings, url),
        "evidence" when line.Arguments is ["verify", string id] => await VerifyAsync(id, settings, line, url),
        "evidence" => Refuse("evidence needs: verify ID", cli.UsageLine),
        "bench" or "bench behaviour" when OptimizedCode.ShouldRelaunch() => await OptimizedCode.RelaunchAsync(args),
        "bench behaviour" => await BehaviourBench.RunCommandAsync(line.Arguments),
        "bench" => await Cordon.Local.Bench.Benchmark.RunCommandAsync(line.Arguments),
        _ => Refuse($"unknown command {command}"),
    };
}
catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused } || ex.HttpRequestError == HttpRequestError.ConnectionError)
{
    Console.Error.WriteLine($"error: no Cordon host answers ({ex.Message}). Start it in another terminal with ./cordon (or dotnet run --project Functions.Local), or point --url at a running one.");
    return 3;
}
catch (Exception ex) when (ex is ArgumentException or HttpRequestException or Cordon.Policy.PolicyException or InvalidDataException or FileNotFoundException
    or DirectoryNotFoundException or JsonException or Azure.RequestFailedException or AggregateException { InnerException: Azure.RequestFailedException }
    or Microsoft.Extensions.Options.OptionsValidationException)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    if (ex is ArgumentException)
    {
        Console.Error.WriteLine(UsageLine);
    }

    return 2;
}

// A mistake on the command line: named, with the usage line (the command's when it is known), never a stack trace.
static int Refuse(string problem, string usageLine = UsageLine)
{
    Console.Error.WriteLine($"error: {problem}");
    Console.Error.WriteLine(usageLine);
    return 2;
}

static async Task<int> ServeAsync(LocalSettings settings)
{
    using PrivateAzurite? azurite = settings.Store == StoreKind.Azurite && !settings.StorageConnectionGiven ? await StartPrivateAzuriteAsync(settings) : null;
    string? connectionFile = null;
    if (azurite is not null)
    {
        settings = settings with { StorageConnectionString = azurite.ConnectionString };
        // Its ports are free ones picked now: evidence verify --store azurite on the same data directory reads them here.
        connectionFile = Path.GetFullPath(PrivateAzuriteConnectionFile(settings.DataDir));
        await File.WriteAllTextAsync(connectionFile + ".new", azurite.ConnectionString);
        File.Move(connectionFile + ".new", connectionFile, overwrite: true);
    }

    try
    {
        await using LocalHost host = await LocalHost.StartAsync(settings);
        Console.WriteLine($"Cordon local host on {host.BaseAddress} (store: {settings.Store.ToString().ToLowerInvariant()}{(azurite is null ? "" : ", a private Azurite")}, data: {Path.GetFullPath(settings.DataDir)})");
        if (settings.Store == StoreKind.Azurite)
        {
            Console.WriteLine($"  storage {StorageEndpoints(settings.StorageConnectionString)}" + (connectionFile is null ? " (the connection string given)"
                : $"; its connection string is in {connectionFile} while the host runs (evidence verify --store azurite reads it there)"));
        }

        Console.WriteLine($"  dashboard {host.BaseAddress}  ·  outbox {host.BaseAddress}outbox  ·  API {host.BaseAddress}api/incidents");
        // A client command talks to the default address unless told another.
        string address = host.BaseAddress.ToString().TrimEnd('/');
        string urlOption = address == CliCommand.DefaultUrl ? "" : $" --url {address}";
        Console.WriteLine($"  send an alert (another terminal): ./cordon send samples/alerts/critical-bribery.json{urlOption}   ·   stop: Ctrl+C");
        await host.App.WaitForShutdownAsync();
        return 0;
    }
    finally
    {
        if (connectionFile is not null)
        {
            File.Delete(connectionFile);
        }
    }
}

// Where a host keeps its private Azurite's connection string while it runs: beside that Azurite's data.
static string PrivateAzuriteConnectionFile(string dataDir) => Path.Combine(dataDir, "azurite", "connection-string");

// The endpoints of a storage connection string (never its key).
static string StorageEndpoints(string connection)
{
    var parts = connection.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => p.Split('=', 2)).Where(p => p.Length == 2)
        .GroupBy(p => p[0], StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.OrdinalIgnoreCase);
    var endpoints = new[] { "Blob", "Queue", "Table" }.Where(s => parts.ContainsKey(s + "Endpoint")).Select(s => $"{s.ToLowerInvariant()} {parts[s + "Endpoint"]}").ToList();
    return endpoints.Count > 0 ? string.Join(", ", endpoints) : $"blob {BlobEndpoint(connection)}";
}

static Uri BlobEndpoint(string connection)
{
    try
    {
        return new Azure.Storage.Blobs.BlobServiceClient(connection).Uri;
    }
    catch (FormatException)
    {
        throw new ArgumentException("the storage connection string could not be read (e.g. \"UseDevelopmentStorage=true\", or the one Azure gives an account)");
    }
}

// --store azurite without a connection string: Azurite from this repository's node_modules (installed with
// npm ci when missing) on free loopback ports, telemetry off, its data under the data directory; stopped on exit.
static async Task<PrivateAzurite> StartPrivateAzuriteAsync(LocalSettings settings)
{
    string root = RepositoryRoot();
    if (!File.Exists(Path.Combine(root, "node_modules/.bin/azurite")))
    {
        Console.WriteLine("Installing Azurite (npm ci, once)…");
        using var npm = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("npm", "ci --no-audit --no-fund") { WorkingDirectory = root })
            ?? throw new InvalidOperationException("could not run npm");
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0)
        {
            throw new ArgumentException($"npm ci failed in {root} (exit {npm.ExitCode}); install Node.js/npm or pass a connection string: --store azurite \"UseDevelopmentStorage=true\"");
        }
    }

    PrivateAzurite azurite = await PrivateAzurite.StartAsync(root, Path.Combine(settings.DataDir, "azurite"));
    Console.WriteLine($"Started a private Azurite (data in {Path.GetFullPath(Path.Combine(settings.DataDir, "azurite"))}); it stops with the host.");
    return azurite;
}

// The repository holding package.json (for node_modules): up from the working directory, else from this program.
static string RepositoryRoot()
{
    foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
    {
        for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "package.json")) && File.Exists(Path.Combine(d.FullName, "Workflows.sln")))
            {
                return d.FullName;
            }
        }
    }

    throw new ArgumentException("the Cordon repository (package.json beside Workflows.sln) was not found above the working directory");
}

static async Task<int> SendAsync(string path, string url, bool keepTime)
{
    if (Directory.Exists(path))
    {
        return await SendFolderAsync(path, url, keepTime);
    }

    using var http = new HttpClient { BaseAddress = new Uri(url) }.SignedInAs(LocalSignIn.CliName, OperatorRoles.Reader);
    var (status, body) = await PostAlertAsync(http, path, keepTime);
    Console.WriteLine(status);
    Console.WriteLine(body);
    return status.StartsWith('2') ? 0 : 1;
}

static async Task<(string Status, string Body)> PostAlertAsync(HttpClient http, string file, bool keepTime)
{
    byte[] bytes = await File.ReadAllBytesAsync(file);
    using var content = new ByteArrayContent(keepTime ? bytes : AlertStamp.Fresh(bytes, DateTimeOffset.UtcNow));
    content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
    HttpResponseMessage response = await http.PostAsync("/api/alerts", content);
    return ($"{(int)response.StatusCode} {response.ReasonPhrase}", await response.Content.ReadAsStringAsync());
}

// Sends every alert of a folder and follows each incident until it is contained or waits on a human.
static async Task<int> SendFolderAsync(string folder, string url, bool keepTime)
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
                var (status, body) = await PostAlertAsync(http, file, keepTime);
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

// The first page (what the API answers without paging: 100), or with --all every page, following the API's
// Link rel="next" up to a bound; either way it says when the host has more than it printed.
static async Task<int> IncidentsAsync(string url, bool all)
{
    const int MaxPages = 100;
    using var http = new HttpClient { BaseAddress = new Uri(url) }.SignedInAs(LocalSignIn.CliName, OperatorRoles.Reader);
    var rows = new List<JsonElement>();
    string? next = all ? $"/api/incidents?pageSize={Cordon.Incidents.IncidentListQuery.MaxPageSize}" : "/api/incidents";
    for (int pages = 0; next is not null && pages < (all ? MaxPages : 1); pages++)
    {
        using HttpResponseMessage response = await http.GetAsync(next);
        response.EnsureSuccessStatusCode();
        rows.AddRange(await response.Content.ReadFromJsonAsync<List<JsonElement>>() ?? []);
        next = NextLink(response);
    }

    var table = new Table().AddColumns("Incident", "Subject", "Site", "Severity", "Stage", "Outcome", "Contained in", "Nearest deadline");
    foreach (JsonElement r in rows)
    {
        string S(string n) => r.TryGetProperty(n, out var v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : "—";
        string deadline = r.TryGetProperty("nearestDeadline", out JsonElement d) && d.ValueKind == JsonValueKind.Object
            ? $"{d.GetProperty("name")} {Cordon.Notification.MailLayout.Time(d.GetProperty("dueAt").GetDateTime())}" : "—";
        table.AddRow(Markup.Escape(S("incidentId")), Markup.Escape(S("subject")), Markup.Escape(S("siteId")), Markup.Escape(S("severity")),
            Markup.Escape(Cordon.Monitoring.StageLabels.Of(S("stage"))), Markup.Escape(Cordon.Monitoring.StageLabels.Outcome(r.TryGetProperty("outcome", out var o) && o.ValueKind == JsonValueKind.String ? o.GetString() : null)),
            r.TryGetProperty("secondsToContain", out var s) && s.ValueKind == JsonValueKind.Number ? $"{s.GetDouble():0.00} s" : "—", Markup.Escape(deadline));
    }

    AnsiConsole.Write(table);
    Console.WriteLine(next is null ? $"{rows.Count} incident{(rows.Count == 1 ? "" : "s")}"
        : all ? $"the first {rows.Count} incidents ({MaxPages} pages); the host has more: narrow the list with the API (GET /api/incidents?status=open|closed&createdFrom=…&createdTo=…)"
        : $"the first {rows.Count} incidents; the host has more: ./cordon incidents --all lists every one");
    return 0;
}

// The next page an answer names: Link: </api/incidents?…>; rel="next".
static string? NextLink(HttpResponseMessage response) =>
    response.Headers.TryGetValues("Link", out IEnumerable<string>? links)
        ? links.Select(l => System.Text.RegularExpressions.Regex.Match(l, "<([^>]*)>\\s*;\\s*rel=\"?next\"?")).FirstOrDefault(m => m.Success)?.Groups[1].Value
        : null;

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

static async Task<int> VerifyAsync(string incidentId, LocalSettings settings, CliLine line, string url)
{
    var store = (await ReachableStorageAsync(settings)).EvidenceStore(TimeProvider.System);
    Cordon.Evidence.RecordedHead? recorded = await RecordedHeadAsync(incidentId, line, url);
    // The spinner is for people; a script reading the verdict gets the verdict line only.
    var result = AnsiConsole.Profile.Capabilities.Interactive
        ? await AnsiConsole.Status().StartAsync($"Verifying the evidence of {Markup.Escape(incidentId)} (every hash and the custody chain)…",
            _ => store.VerifyAsync(incidentId, recorded, CancellationToken.None))
        : await store.VerifyAsync(incidentId, recorded, CancellationToken.None);
    Console.WriteLine(result.Ok ? $"OK: {result.Detail}" : $"FAILED: {result.Detail}");
    if (recorded is null && result.Head is { } head)
    {
        Console.WriteLine($"custody head {head} (compare with the head the incident recorded at close: --head, --report FILE or --from-host)");
    }

    return result.Ok ? 0 : 1;
}

// The chain head recorded outside the store: given by hand (from the closing event), read from a copy of the
// incident report, or from the incident's status on the running host.
static async Task<Cordon.Evidence.RecordedHead?> RecordedHeadAsync(string incidentId, CliLine line, string url)
{
    if (line.Value("--head") is { } text)
    {
        return Cordon.Evidence.CustodyHead.TryParse(text, out var head)
            ? new Cordon.Evidence.RecordedHead(head!, "--head")
            : throw new ArgumentException($"--head must be SEQUENCE:SHA256 (as in the incident's closing event), not '{text}'");
    }

    if (line.Value("--report") is { } file)
    {
        return Cordon.Incidents.WriteIncidentReport.HeadOf(await File.ReadAllBytesAsync(file), $"the report {file}")
            ?? throw new ArgumentException($"{file} records no evidence head (a report written before heads were recorded?)");
    }

    if (line.Has("--from-host"))
    {
        using var http = new HttpClient { BaseAddress = new Uri(url) }.SignedInAs(LocalSignIn.CliName, OperatorRoles.Reader);
        JsonElement d = await http.GetFromJsonAsync<JsonElement>($"/api/incidents/{Uri.EscapeDataString(incidentId)}");
        return d.TryGetProperty("evidenceHead", out JsonElement h) && h.ValueKind == JsonValueKind.Object
            ? new Cordon.Evidence.RecordedHead(h.Deserialize<Cordon.Evidence.CustodyHead>(Cordon.World.CordonJson.Options)!, $"incident {incidentId} on {url}")
            : throw new ArgumentException($"incident {incidentId} on {url} has recorded no evidence head yet (it records one when it closes)");
    }

    return null;
}

// --store azurite: the storage evidence verify reads, answering. Without a connection string, the private Azurite of
// the host running on the same data directory (it writes its connection string there); none, or one that no longer
// answers, is said at once, not after the storage client's half minute of retries.
static async Task<LocalSettings> ReachableStorageAsync(LocalSettings settings)
{
    if (settings.Store != StoreKind.Azurite)
    {
        return settings;
    }

    string source = "the connection string given";
    if (!settings.StorageConnectionGiven)
    {
        string file = Path.GetFullPath(PrivateAzuriteConnectionFile(settings.DataDir));
        if (!File.Exists(file))
        {
            throw new ArgumentException($"--store azurite without a connection string means the private Azurite of the host started with ./cordon --store azurite " +
                $"--data-dir {settings.DataDir}: that host writes its connection string to {file} while it runs, and there is none. Start that host, " +
                "or pass the storage's connection string: --store azurite \"CONNECTION\" (\"UseDevelopmentStorage=true\" for an Azurite on its default ports)");
        }

        settings = settings with { StorageConnectionString = (await File.ReadAllTextAsync(file)).Trim(), StorageConnectionGiven = true };
        source = $"the private Azurite's, from {file}";
    }

    Uri blob = BlobEndpoint(settings.StorageConnectionString);
    using var probe = new TcpClient();
    using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(3));
    try
    {
        await probe.ConnectAsync(blob.Host, blob.Port, wait.Token);
    }
    catch (Exception ex) when (ex is SocketException or OperationCanceledException)
    {
        throw new ArgumentException($"the Blob endpoint {blob} ({source}) does not answer: " + (source.StartsWith("the private", StringComparison.Ordinal)
            ? $"its host has stopped? Start it again (./cordon --store azurite --data-dir {settings.DataDir}), or pass a connection string: --store azurite \"CONNECTION\""
            : "is that storage running?"));
    }

    return settings;
}

static async Task<int> SimulateAsync(string[] args, LocalSettings settings, string url)
{
    SimulationOptions o = SimulationOptions.Parse(args);
    // Simulated time ends before now: the scorer runs on event time, so a day of telemetry is replayed in seconds.
    DateTimeOffset start = new(TimeProvider.System.GetUtcNow().UtcDateTime.AddHours(-o.Hours).Date, TimeSpan.Zero);
    SiteSimulation sim = SiteSimulation.Generate(Cordon.World.WorldModel.Load(settings.WorldPath), o.Site, o.Agents, o.Hours, o.Insiders, o.Seed, start, quitters: o.Quitters);
    using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(5) }.SignedInAs(LocalSignIn.CliName, OperatorRoles.Reader);
    Console.WriteLine($"Feeding simulated telemetry into the running host at {url}: its incidents and mails land there (--url picks another host).");
    SimulationReport report = await SimulationRun.RunAsync(http, sim, o.BatchSize, Console.Out, CancellationToken.None, ticketLag: o.TicketLag);
    SimulationRun.Print(report, sim, Console.Out);
    return 0;
}

// Every command and option: cordon help, cordon --help.
static string FullUsage() =>
    "usage: cordon [command] [options]        (./cordon runs the built Functions.Local; dotnet run --project Functions.Local -- works too)\n" +
    string.Join("\n", CliCommand.All.Select(c => c.Entry)) + "\n" + CliCommand.HostOptionsUsage;
