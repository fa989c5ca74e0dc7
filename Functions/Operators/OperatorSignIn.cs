namespace Cordon.Operators;

public sealed class OperatorSignInOptions
{
    /// <summary>
    /// Whether X-MS-CLIENT-PRINCIPAL may be believed. In Azure only while App Service Authentication is
    /// on (the platform sets WEBSITE_AUTH_ENABLED=True and then strips the header from clients); the
    /// local host sets it in code, having checked the caller itself. Deliberately no app setting: a
    /// setting could trust a header nobody strips.
    /// </summary>
    public bool TrustPrincipalHeader { get; set; }
}

/// <summary>What an operator request needs: to view (reader or operator) or to act (operator).</summary>
public enum OperatorRight { View, Act }

/// <summary>The answer to "who is this and may they do this": the principal, or why not (401 / 403).</summary>
public sealed record SignInCheck(OperatorPrincipal? Principal, int Status, string? Refusal)
{
    public bool Allowed => Refusal is null;
}

/// <summary>Finds the signed-in operator of a request and checks the right it needs.</summary>
public sealed class OperatorSignIn(IOptions<OperatorSignInOptions> options)
{
    public SignInCheck Check(HttpRequest request, OperatorRight right)
    {
        if (!options.Value.TrustPrincipalHeader)
        {
            return new(null, StatusCodes.Status401Unauthorized,
                "operator sign-in is not available: App Service Authentication is off, so no signed-in principal can be trusted");
        }

        string? header = request.Headers[OperatorPrincipal.Header].FirstOrDefault();
        OperatorPrincipal? who = OperatorPrincipal.Parse(header);
        if (who is null)
        {
            return new(null, StatusCodes.Status401Unauthorized, header is null
                ? "sign in first: operator pages and actions need a signed-in operator"
                : "the signed-in principal could not be read; sign in again");
        }

        if (right == OperatorRight.Act && !who.CanAct)
        {
            return new(who, StatusCodes.Status403Forbidden,
                $"{who.Display} may view incidents but not act on them: acting needs the app role {OperatorRoles.Operator}");
        }

        if (!who.CanView)
        {
            return new(who, StatusCodes.Status403Forbidden,
                $"{who.Display} holds neither {OperatorRoles.Reader} nor {OperatorRoles.Operator}: ask an administrator to assign one");
        }

        return new(who, StatusCodes.Status200OK, null);
    }
}

public static class OperatorSignInServiceCollectionExtensions
{
    /// <summary>Operators are the App Service Authentication principal; see <see cref="OperatorSignInOptions"/>.</summary>
    public static IServiceCollection AddCordonOperators(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<OperatorSignInOptions>()
            .Configure(o => o.TrustPrincipalHeader = string.Equals(configuration["WEBSITE_AUTH_ENABLED"], "true", StringComparison.OrdinalIgnoreCase));
        services.AddSingleton<OperatorSignIn>();
        return services;
    }
}
