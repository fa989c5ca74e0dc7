using System.Diagnostics;
using System.Net.Sockets;

namespace Cordon.Tests;

/// <summary>
/// Functions.Local as a child process (the built Cordon.Local.dll under `dotnet`), so a test can kill it
/// the hard way — no shutdown code runs, leases and queue messages stay as a crash leaves them — and
/// start it again on the same store and data directory. State is read the way an operator would: the
/// HTTP API, the outbox and the simulated directory's state file.
/// </summary>
public sealed class LocalHostProcess : IDisposable
{
    static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    readonly StringBuilder output = new();
    Process? process;

    public LocalHostProcess(string dataDir, IReadOnlyList<string> arguments)
    {
        DataDir = dataDir;
        Arguments = arguments;
        Port = Cordon.Local.LoopbackPort.Free();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) }
            .SignedInAs(TestHost.OperatorName, Cordon.Operators.OperatorRoles.Operator, TestHost.OperatorUsername);
    }

    public string DataDir { get; }

    /// <summary>Options besides --data-dir and --urls, which stay the same across restarts (links carry the URL).</summary>
    public IReadOnlyList<string> Arguments { get; }

    public int Port { get; }

    public HttpClient Http { get; }

    public static string DllPath()
    {
        // The test runs from Functions.Tests/bin/{Configuration}/{tfm}/; the host's own build sits beside it.
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string path = Repo.Path(Path.Combine("Functions.Local", "bin", bin.Parent!.Name, bin.Name, "Cordon.Local.dll"));
        return File.Exists(path) ? path : throw new InvalidOperationException($"{path} is missing: build Functions.Tests (it builds Functions.Local).");
    }

    /// <summary>Starts the host (with extra options for this run) and waits until it answers.</summary>
    public async Task StartAsync(params string[] extra)
    {
        if (process is { HasExited: false })
        {
            throw new InvalidOperationException("the host is already running");
        }

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(DllPath());
        foreach (string a in Arguments.Concat(["--data-dir", DataDir, "--urls", $"http://127.0.0.1:{Port}", "--quiet"]).Concat(extra))
        {
            info.ArgumentList.Add(a);
        }

        process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        await Eventually.Until(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"the host exited with {process.ExitCode}: {Output}");
            }

            try
            {
                return (await Http.GetAsync("/api/incidents")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false; // not listening yet
            }
        }, up => up, TimeSpan.FromSeconds(60), "the host to answer", _ => "no answer; host output: " + Output, TimeSpan.FromMilliseconds(100));
    }

    /// <summary>A crash: the process tree is killed, nothing is flushed or released.</summary>
    public void Kill()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public async Task<(string IncidentId, string Outcome)> SendAsync(string alertJson)
    {
        using var content = new StringContent(alertJson, Encoding.UTF8, "application/json");
        HttpResponseMessage response = await Http.PostAsync("/api/alerts", content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        using JsonDocument doc = JsonDocument.Parse(body);
        return (doc.RootElement.GetProperty("incidentId").GetString()!, doc.RootElement.GetProperty("outcome").GetString()!);
    }

    public async Task<IncidentDetail> IncidentAsync(string id) => (await Http.GetFromJsonAsync<IncidentDetail>($"/api/incidents/{id}", Web))!;

    public Task<IncidentDetail> WaitForAsync(string id, Func<IncidentDetail, bool> condition, int seconds) =>
        Eventually.Until(() => IncidentAsync(id), condition, TimeSpan.FromSeconds(seconds), $"incident {id}",
            d => $"{d.Stage}/{d.Outcome} (waiting for operator: {d.WaitingForOperator?.Step}); timeline: " +
                string.Join(" | ", d.Timeline.Select(t => $"{t.Step}: {t.Detail}")) + "\nhost output: " + Output,
            TimeSpan.FromMilliseconds(100));

    /// <summary>Every mail in the outbox folder (the host need not be running).</summary>
    public List<JsonElement> Mails()
    {
        string dir = Path.Combine(DataDir, "outbox");
        return Directory.Exists(dir)
            ? Directory.GetFiles(dir, "*.json").Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement.Clone()).ToList()
            : [];
    }

    /// <summary>The approval link mailed to an approver for a gate, as a path on this host.</summary>
    public Task<string> ApprovalLinkAsync(string approver, string gate, int seconds = 30) =>
        Eventually.Found(() => ApprovalMails.LinkFor(Mails(), gate, approver), TimeSpan.FromSeconds(seconds), $"a {gate} approval mail to {approver}",
            every: TimeSpan.FromMilliseconds(100));

    /// <summary>Posts a decision; 200 = recorded, 202 = delivered while a restarted host is still taking over.</summary>
    public async Task DecideAsync(string link, string decision)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = decision });
        HttpResponseMessage response = await Http.PostAsync(link, form);
        Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted, $"{decision} on {link}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The simulated directory as persisted: accounts and how often each effect changed it.</summary>
    public DirectoryState DirectoryNow() => DirectoryState.Read(Path.Combine(DataDir, "directory.json"));

    public void Dispose()
    {
        Kill();
        process?.Dispose();
        Http.Dispose();
    }

    void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            // Enough to explain a failure, never the whole run.
            if (output.Length < 64 * 1024)
            {
                output.AppendLine(line);
            }
        }
    }
}

/// <summary>The simulated directory's state file: accounts and effect counts ("disable:upn", "group-add:g:upn", …).</summary>
public sealed record DirectoryState(IReadOnlyDictionary<string, JsonElement> Accounts, IReadOnlyDictionary<string, int> Effects)
{
    public static DirectoryState Read(string path)
    {
        if (!File.Exists(path))
        {
            return new DirectoryState(new Dictionary<string, JsonElement>(), new Dictionary<string, int>());
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var accounts = doc.RootElement.GetProperty("accounts").EnumerateArray()
            .ToDictionary(a => a.GetProperty("userPrincipalName").GetString()!, a => a.Clone(), StringComparer.OrdinalIgnoreCase);
        var effects = doc.RootElement.GetProperty("effects").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32(), StringComparer.Ordinal);
        return new DirectoryState(accounts, effects);
    }

    public int Effect(string key) => Effects.TryGetValue(key, out int n) ? n : 0;

    public bool Enabled(string upn) => !Accounts.TryGetValue(upn, out JsonElement a) || a.GetProperty("accountEnabled").GetBoolean();

    public bool SessionsRevoked(string upn) => Accounts.TryGetValue(upn, out JsonElement a) && a.GetProperty("sessionsRevokedAt").ValueKind == JsonValueKind.String;
}
