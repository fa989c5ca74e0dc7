using System.Globalization;

namespace Cordon.Local.Simulation;

/// <summary>`simulate --agents N --hours H [--insiders K] [--quitters Q] [--seed S] [--site ID] [--batch N] [--ticket-lag MINUTES] [--url URL]`.</summary>
public sealed record SimulationOptions(int Agents, double Hours, int Insiders, int Seed, string? Site, int BatchSize)
{
    /// <summary>The tickets' own feed, this far behind the access log (0: tickets come with the access events).</summary>
    public TimeSpan TicketLag { get; init; }

    /// <summary>Insiders who dump customers in the minutes before logging off for good (besides the slow harvesters).</summary>
    public int Quitters { get; init; }

    public static SimulationOptions Parse(IReadOnlyList<string> args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int Int(string name, int fallback) => Value(name) is { } v
            ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"{name} must be a whole number (got {v})")
            : fallback;

        double hours = Value("--hours") is { } h
            ? double.TryParse(h, NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x > 0 ? x : throw new ArgumentException($"--hours must be a positive number (got {h})")
            : 24;
        var options = new SimulationOptions(Int("--agents", 200), hours, Int("--insiders", 2), Int("--seed", 1), Value("--site"), Int("--batch", 1000))
        {
            TicketLag = TimeSpan.FromMinutes(Int("--ticket-lag", 0)),
            Quitters = Int("--quitters", 1),
        };
        if (options.Agents < 1 || options.Insiders < 0 || options.Insiders > options.Agents || options.Quitters < 0 || options.Insiders + options.Quitters > options.Agents || options.BatchSize is < 1 or > 5000 || options.TicketLag < TimeSpan.Zero || options.TicketLag > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("--agents must be at least 1, --insiders and --quitters 0..agents together, --batch 1..5000, --ticket-lag 0..1440 (minutes)");
        }

        return options;
    }
}
