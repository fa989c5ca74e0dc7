namespace Cordon.Policy;

/// <summary>The active response policy (Cordon:PolicyFile, or Cordon:Policy as inline JSON; the defaults otherwise).</summary>
public sealed class ResponsePolicyOptions
{
    public ResponsePolicy Policy { get; set; } = ResponsePolicy.Default;
}
