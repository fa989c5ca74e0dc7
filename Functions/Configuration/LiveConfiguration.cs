using Cordon.Policy;

namespace Cordon.Configuration;

/// <summary>The world and the policy in force, with the version of each; replaced as a whole, never edited.</summary>
public sealed record ConfigurationSnapshot(WorldModel World, string WorldVersion, ResponsePolicy Policy, string PolicyVersion, DateTimeOffset LoadedAt)
{
    /// <summary>Recorded on every incident: which world and which policy it started with.</summary>
    public string Version => $"world {WorldVersion}; policy {PolicyVersion}";

    internal WorldOptions WorldOptions { get; init; } = new() { World = World };

    internal ResponsePolicyOptions PolicyOptions { get; init; } = new() { Policy = Policy };
}

/// <summary>A new version of a document that was refused: the last good version stays in force.</summary>
public sealed record ConfigurationProblem(string Document, string Origin, string Version, IReadOnlyList<string> Errors, DateTimeOffset At);

/// <summary>
/// The current configuration: read once at start (an invalid document stops start-up, naming the bad fields),
/// then swapped atomically by <see cref="ConfigurationWatcher"/> when a valid new version appears. Consumers
/// read <see cref="Current"/> (or <c>IOptions&lt;WorldOptions&gt;</c> / <c>IOptions&lt;ResponsePolicyOptions&gt;</c>,
/// which answer from it) at the moment they act; a running incident keeps the plan triage gave it.
/// </summary>
public sealed class LiveConfiguration
{
    public const string WorldDocument = "world";
    public const string PolicyDocument = "policy";

    readonly Lock gate = new();
    volatile ConfigurationSnapshot current;
    volatile IReadOnlyList<ConfigurationProblem> problems = [];

    public LiveConfiguration(ConfigurationDocument world, ConfigurationDocument policy, TimeProvider time)
    {
        World = world;
        Policy = policy;
        Time = time;
        DocumentRead w = world.ReadIfChangedAsync(null, CancellationToken.None).GetAwaiter().GetResult()!;
        DocumentRead p = policy.ReadIfChangedAsync(null, CancellationToken.None).GetAwaiter().GetResult()!;
        WorldModel parsedWorld = ParseWorld(w, world.Origin, out IReadOnlyList<string> worldErrors)
            ?? throw new InvalidDataException(worldErrors is [{ } only] && only.StartsWith("world ", StringComparison.Ordinal)
                ? only : $"world {world.Origin} is not valid: {string.Join("; ", worldErrors)}");
        ResponsePolicy parsedPolicy = ParsePolicy(p, policy.Origin, out IReadOnlyList<string> policyErrors) ?? throw new PolicyException(string.Join("; ", policyErrors));
        current = new ConfigurationSnapshot(parsedWorld, w.Version, parsedPolicy, p.Version, time.GetUtcNow());
    }

    public ConfigurationDocument World { get; }

    public ConfigurationDocument Policy { get; }

    internal TimeProvider Time { get; }

    public ConfigurationSnapshot Current => current;

    /// <summary>Refused versions not yet replaced by a good one; empty when the configuration is loaded and valid.</summary>
    public IReadOnlyList<ConfigurationProblem> Problems => problems;

    /// <summary>Applies a new version of one document: returns the problem when it is refused (the last good version stays).</summary>
    public ConfigurationProblem? Apply(string document, DocumentRead read)
    {
        ConfigurationDocument source = document == WorldDocument ? World : Policy;
        IReadOnlyList<string> errors = [];
        lock (gate)
        {
            // A version that leaves a gate with nobody to ask, where the one in force has someone, is refused like a broken one.
            if (document == WorldDocument && ParseWorld(read, source.Origin, out errors) is { } world && Staffed(world, current.Policy, ref errors))
            {
                current = current with { World = world, WorldVersion = read.Version, LoadedAt = Time.GetUtcNow(), WorldOptions = new() { World = world } };
            }
            else if (document == PolicyDocument && ParsePolicy(read, source.Origin, out errors) is { } policy && Staffed(current.World, policy, ref errors))
            {
                current = current with { Policy = policy, PolicyVersion = read.Version, LoadedAt = Time.GetUtcNow(), PolicyOptions = new() { Policy = policy } };
            }
            else
            {
                var problem = new ConfigurationProblem(document, source.Origin, read.Version, errors, Time.GetUtcNow());
                problems = [.. problems.Where(p => p.Document != document), problem];
                return problem;
            }

            problems = [.. problems.Where(p => p.Document != document)];
            return null;
        }
    }

    bool Staffed(WorldModel world, ResponsePolicy policy, ref IReadOnlyList<string> errors)
    {
        errors = GateStaffing.NewProblems(current.World, current.Policy, world, policy);
        return errors.Count == 0;
    }

    /// <summary>The version last refused for a document, so a broken version is reported once, not at every poll.</summary>
    public string? RefusedVersion(string document) => problems.FirstOrDefault(p => p.Document == document)?.Version;

    static WorldModel? ParseWorld(DocumentRead read, string origin, out IReadOnlyList<string> errors)
    {
        errors = [];
        if (read.Content is null)
        {
            errors = [$"world {origin} does not exist"];
            return null;
        }

        try
        {
            WorldModel world = WorldModel.Parse(read.Content, origin);
            errors = world.Validate();
            return errors.Count == 0 ? world : null;
        }
        catch (InvalidDataException ex)
        {
            errors = [ex.Message];
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The last line: a document that breaks the reader in a way it does not foresee is refused, never thrown
            // (a throw here would end the watcher and stop the host).
            errors = [$"world {origin} could not be read: {ex.GetType().Name}: {ex.Message}"];
            return null;
        }
    }

    static ResponsePolicy? ParsePolicy(DocumentRead read, string origin, out IReadOnlyList<string> errors)
    {
        errors = [];
        if (read.Content is null)
        {
            if (read.Version == "defaults")
            {
                return ResponsePolicy.Default;
            }

            errors = [$"policy {origin} does not exist"];
            return null;
        }

        try
        {
            return ResponsePolicy.Parse(read.Content, origin);
        }
        catch (PolicyException ex)
        {
            errors = [ex.Message];
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            errors = [$"policy {origin} could not be read: {ex.GetType().Name}: {ex.Message}"];
            return null;
        }
    }
}
