namespace Cordon.Local;

/// <summary>
/// One command of the CLI: its usage and the options it takes — its own, and which of the host's options
/// (<see cref="LocalSettings.Parse"/>) apply to it. A command line is read against its command before anything runs:
/// a host option given to a client command, an option the command does not know or an argument too many is named and
/// refused, never silently ignored.
/// </summary>
/// <param name="Name">The command word (<c>evidence</c> for <c>evidence verify</c>).</param>
/// <param name="Synopsis">The usage line after <c>cordon </c>.</param>
/// <param name="Description">What it does, one or more lines.</param>
/// <param name="Arguments">How many arguments it takes after its name (<c>evidence verify ID</c>: two).</param>
/// <param name="HostOptions">The host options that apply to it; null: every one (the host itself).</param>
/// <param name="Flags">Its own options without a value.</param>
/// <param name="Values">Its own options with a value.</param>
/// <param name="OwnParser">Its options are read by a parser of its own (bench), which names what it does not know.</param>
public sealed record CliCommand(string Name, string Synopsis, string Description, int Arguments, string[]? HostOptions, string[] Flags, string[] Values, bool OwnParser = false)
{
    public const string DefaultUrl = "http://127.0.0.1:7071";

    public static readonly CliCommand Serve = new("serve", "[serve] [options]", "serve the API, approval pages, outbox and dashboard (options below)", 0, null, [], []);

    public static readonly CliCommand Send = new("send", "send FILE|FOLDER [--url URL] [--keep-time]", """
        post an alert file (or every *.json of a folder, following each until it is contained or waits
        on a human); detectedAt and indicator times are moved to now unless --keep-time
        """, 1, [], ["--keep-time"], ["--url"]);

    public static readonly CliCommand Incidents = new("incidents", "incidents [--all] [--url URL]", """
        list incidents, most urgent first: the host's first page (100), and whether it has more;
        --all follows the pages (500 each, at most 100 pages)
        """, 0, [], ["--all"], ["--url"]);

    public static readonly CliCommand Incident = new("incident", "incident ID [--url URL]", "show an incident's timeline", 1, [], [], ["--url"]);

    public static readonly CliCommand Evidence = new("evidence",
        "evidence verify ID [--store azurite [CONN]] [--data-dir PATH] [--task-hub NAME] [--head SEQ:HASH | --report FILE | --from-host [--url URL]]", """
        recompute every evidence hash and the custody chain, against the head the incident recorded at close;
        --store azurite without CONN: the private Azurite of the host started with --store azurite on the same --data-dir
        """, 2, ["--store", "--storage", "--data-dir", "--task-hub"], ["--from-host"], ["--head", "--report", "--url"]);

    public static readonly CliCommand Simulate = new("simulate",
        "simulate [--agents N] [--hours H] [--insiders K] [--quitters Q] [--seed S] [--site ID] [--batch N] [--ticket-lag MINUTES] [--world PATH] [--url URL]", """
        feed simulated support-tool telemetry into the running host, print precision/recall of the incidents raised
        (--ticket-lag: the tickets come from a feed of their own, that many minutes behind)
        """, 0, ["--world"], [], ["--agents", "--hours", "--insiders", "--quitters", "--seed", "--site", "--batch", "--ticket-lag", "--url"]);

    public static readonly CliCommand BenchBehaviour = new("bench behaviour",
        "bench behaviour [--stores memory,azurite] [--seeds 1,2,3] [--agents 100] [--hours 168] [--quitters Q] [--ticket-lag MINUTES] [--out file.md]",
        "the behaviour monitor scenario alone: detection per seed and events/s into the state", 0, [], [], [], OwnParser: true);

    public static readonly CliCommand Bench = new("bench", """
        bench [--quick] [--stores memory,azurite] [--scenarios single,burst,...] [--bursts 100,1000] [--burst-runs 5]
              [--list-size 10000,1000] [--scenario-timeout-min 10] [--graph-latency-ms 50] [--out file.md]
        """, "measure time to contain, overhead, offboarding, list, crash-resume, behaviour (use -c Release; bench --help)", 0, [], [], [], OwnParser: true);

    public static readonly CliCommand Help = new("help", "help [COMMAND]", "every command and option, or one command's usage", 1, [], [], []);

    public static readonly IReadOnlyList<CliCommand> All = [Serve, Send, Incidents, Incident, Evidence, Simulate, BenchBehaviour, Bench, Help];

    /// <summary>The options of the host, after the commands in the full usage.</summary>
    public const string HostOptionsUsage = """
        options: --urls URL  --store memory|azurite [CONN] (azurite without CONN: a private Azurite from node_modules)  --world PATH
                 --policy PATH  --data-dir PATH  --service-bus CONN [--queue NAME] [--telemetry-queue NAME]  --base-url URL
                 --directory-latency-ms N  --telemetry console|none  --task-hub NAME
                 --message-visibility-seconds N (Azurite: how soon a crashed host's steps resume)
                 --follow-up-work-items N (Azurite: incident steps run at once, default 16; intake contains ahead of them)
        """;

    /// <summary>The command a command line names (<c>bench behaviour</c> before <c>bench</c>); null when none is.</summary>
    public static CliCommand? Find(IReadOnlyList<string> words) =>
        words.Count == 0 ? null : All.FirstOrDefault(c => c.Name == $"{words[0]} {(words.Count > 1 ? words[1] : "")}".TrimEnd()) ?? All.FirstOrDefault(c => c.Name == words[0]);

    /// <summary>The one line a refusal ends with.</summary>
    public string UsageLine => $"usage: cordon {Synopsis.Split('\n')[0].TrimEnd()}   (cordon {Title} --help: its usage; cordon help: every command)";

    /// <summary>What <c>cordon COMMAND --help</c> prints.</summary>
    public string Usage => $"usage: cordon {Synopsis}\n{Indent(Description, "  ")}" + (HostOptions is null ? "\n" + HostOptionsUsage : "");

    /// <summary>The command as a user types it (<c>evidence verify</c>).</summary>
    public string Title => HostOptions is null ? Name : string.Join(' ', Synopsis.Split(' ').TakeWhile(w => w.Length > 0 && char.IsLower(w[0])));

    /// <summary>The command's entry in the full usage: its synopsis, its description from column 36.</summary>
    public string Entry
    {
        get
        {
            string synopsis = "  " + Synopsis.Replace("\n", "\n  ", StringComparison.Ordinal);
            string description = Indent(Description, new string(' ', 35));
            return !Synopsis.Contains('\n', StringComparison.Ordinal) && synopsis.Length < 34 ? synopsis.PadRight(35) + description.TrimStart() : $"{synopsis}\n{description}";
        }
    }

    static string Indent(string text, string by) => string.Join('\n', text.Split('\n').Select(l => by + l));

    /// <summary>
    /// Reads what follows the command's name (host options already taken out, <paramref name="hostOptionsGiven"/> naming
    /// them): its arguments and its own options, or the first thing it does not take.
    /// </summary>
    public (CliLine? Line, string? Problem) Read(IReadOnlyList<string> rest, IEnumerable<string> hostOptionsGiven)
    {
        foreach (string option in hostOptionsGiven)
        {
            if (HostOptions is not null && !HostOptions.Contains(option))
            {
                return (null, $"{Title} does not take {option}: it is an option of {Takers(option)}");
            }
        }

        var arguments = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < rest.Count; i++)
        {
            string a = rest[i];
            if (OwnParser)
            {
                arguments.Add(a);
            }
            else if (a.Length > 1 && a[0] == '-')
            {
                if (Flags.Contains(a))
                {
                    flags.Add(a);
                }
                else if (Values.Contains(a))
                {
                    if (i + 1 >= rest.Count)
                    {
                        return (null, $"{a} needs a value");
                    }

                    values[a] = rest[++i];
                }
                else
                {
                    return (null, Takers(a) is { Length: > 0 } takers ? $"{Title} does not take {a}: it is an option of {takers}" : $"unknown option {a}");
                }
            }
            else if (arguments.Count < Arguments)
            {
                arguments.Add(a);
            }
            else
            {
                return (null, $"{Title} does not take the argument {a}");
            }
        }

        return (new CliLine(arguments, values, flags), null);
    }

    /// <summary>The commands that take an option, e.g. "the host (serve)", "evidence, simulate"; empty when none does.</summary>
    static string Takers(string option)
    {
        var takers = All.Where(c => c.HostOptions is null ? Serve == c && IsHostOption(option) : c.HostOptions.Contains(option) || c.Flags.Contains(option) || c.Values.Contains(option))
            .Select(c => c == Serve ? "the host (serve)" : c.Title).ToList();
        return string.Join(", ", takers);
    }

    static bool IsHostOption(string option)
    {
        var given = new List<string>();
        try
        {
            LocalSettings.Parse([option, option == "--store" ? "memory" : "1"], given);
        }
        catch (ArgumentException)
        {
            return true; // it knew the option, not the made-up value
        }

        return given.Count > 0;
    }
}

/// <summary>A command line read against its command: its arguments, option values and flags.</summary>
public sealed record CliLine(IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Values, IReadOnlySet<string> Flags)
{
    public string? Value(string option) => Values.TryGetValue(option, out string? v) ? v : null;

    public bool Has(string flag) => Flags.Contains(flag);
}
