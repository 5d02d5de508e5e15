using Aspire.Hosting;

namespace Gateway.Tests.AppHost;

public sealed class RedisServerExecutableTests : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gateway-path-");

    [Fact]
    public void Missing_redis_server_fails_with_the_install_command()
    {
        var error = Assert.Throws<RedisServerNotFoundException>(() => RedisServerExecutable.Locate(folder.FullName));

        Assert.Contains("sudo apt-get install -y redis-server", error.Message);
    }

    [Fact]
    public void Empty_path_fails_with_the_install_command()
    {
        var error = Assert.Throws<RedisServerNotFoundException>(() => RedisServerExecutable.Locate(null));

        Assert.Contains("sudo apt-get install -y redis-server", error.Message);
    }

    [Fact]
    public void Redis_server_is_found_in_the_first_path_folder_that_has_it()
    {
        var empty = folder.CreateSubdirectory("empty");
        var bin = folder.CreateSubdirectory("bin");
        var executable = Path.Combine(bin.FullName, "redis-server");
        File.WriteAllText(executable, "");

        var found = RedisServerExecutable.Locate(string.Join(Path.PathSeparator, empty.FullName, bin.FullName));

        Assert.Equal(executable, found);
    }

    public void Dispose() => folder.Delete(recursive: true);
}
