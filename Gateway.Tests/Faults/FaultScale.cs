namespace Gateway.Tests.Faults;

/// <summary>
/// How much load and how many faults a fault test injects: small by default, so CI runs the whole Faults folder
/// in a few minutes on 2 cores; GATEWAY_FAULTS_SOAK=1 gives the longer soak (more clients, longer load, more kills).
/// </summary>
public static class FaultScale
{
    public const string SoakVariable = "GATEWAY_FAULTS_SOAK";

    public static bool Soak { get; } = Environment.GetEnvironmentVariable(SoakVariable) is "1" or "true";

    /// <summary>The CI value, or the soak value under GATEWAY_FAULTS_SOAK=1.</summary>
    public static T Pick<T>(T ci, T soak) => Soak ? soak : ci;
}
