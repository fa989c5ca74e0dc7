namespace Cordon.World;

/// <summary>The loaded world (clients, vendors, sites, approvers); see <see cref="WorldModel"/>.</summary>
public sealed class WorldOptions
{
    public const string Section = "Cordon";

    /// <summary>Path of the world JSON file (Cordon:WorldFile).</summary>
    public string? WorldFile { get; set; }

    public WorldModel World { get; set; } = new();
}
