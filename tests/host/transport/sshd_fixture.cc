#include "tests/host/transport/sshd_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "reconciler/base/shell.h"
#include "reconciler/base/strings.h"
#include "tests/unit/transport/test_util.h"

namespace reconcile::transport::testing {

namespace {

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::abort();
}

// Starts argv with stdin and stdout on /dev/null and stderr into `log`;
// the child gets SIGKILL when this process dies, however it dies.
pid_t spawn_daemon(const std::vector<std::string>& argv, const std::string& log) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid > 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(1);
  int null = open("/dev/null", O_RDWR);
  int err = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  dup2(null, 0);
  dup2(null, 1);
  dup2(err, 2);
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

void stop_daemon(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
}

bool port_open(const std::string& address, uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in target{};
  target.sin_family = AF_INET;
  target.sin_port = htons(port);
  inet_pton(AF_INET, address.c_str(), &target.sin_addr);
  bool open = connect(fd, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0;
  close(fd);
  return open;
}

std::string make_temp_dir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) die("mkdtemp");
  return pattern;
}

KeyPair key_pair(const std::string& dir, const std::string& name, const std::string& type,
                 const std::string& passphrase = "") {
  std::string path = dir + "/" + name;
  make_key(path, type, passphrase);
  return {path, std::string(trim(read_file(path + ".pub")))};
}

}  // namespace

void enter_private_namespaces() {
  if (unshare(CLONE_NEWNET | CLONE_NEWNS) != 0) die("unshare");
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    die("mount --make-rprivate /");
  if (mount("tmpfs", "/tmp", "tmpfs", 0, "mode=1777") != 0) die("mount tmpfs /tmp");
  if (mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0) die("mount tmpfs /run");
  if (mkdir("/run/sshd", 0755) != 0) die("mkdir /run/sshd");
  // root's own dotfiles (a slow ~/.bashrc, keys, known_hosts) stay out of
  // the tests: bash -c sources ~/.bashrc when started by sshd.
  if (mount("tmpfs", "/root", "tmpfs", 0, "mode=0700") != 0) die("mount tmpfs /root");
  if (std::system("ip link set lo up") != 0) die("ip link set lo up");
}

void blackhole(const std::string& address, uint16_t port) {
  must_shell("nft add table inet blackhole 2>/dev/null || true");
  must_shell(
      "nft add chain inet blackhole input '{ type filter hook input priority 0; }' 2>/dev/null "
      "|| true");
  must_shell("nft add rule inet blackhole input ip daddr " + address + " tcp dport " +
             std::to_string(port) + " drop");
}

void add_user(const std::string& name, bool sudo) {
  static int next_uid = 4200;
  const std::string etc = "/tmp/private-etc";
  if (!std::filesystem::exists(etc)) {
    std::filesystem::create_directory(etc);
    for (const char* file : {"passwd", "shadow", "group"}) {
      must_shell("cp -p /etc/" + std::string(file) + " " + etc + "/");
      must_shell("mount --bind " + etc + "/" + file + " /etc/" + file);
    }
    write_file(etc + "/sudoers", "Defaults !fqdn\nroot ALL=(ALL:ALL) ALL\n");
    chmod((etc + "/sudoers").c_str(), 0440);
    must_shell("mount --bind " + etc + "/sudoers /etc/sudoers");
  }
  int uid = next_uid++;
  std::string home = "/tmp/home-" + name;
  std::string id = std::to_string(uid);
  must_shell("echo " + shell_quote(name + ":x:" + id + ":" + id + "::" + home + ":/bin/sh") +
             " >> " + etc + "/passwd");
  must_shell("echo " + shell_quote(name + ":*:19000:0:99999:7:::") + " >> " + etc + "/shadow");
  must_shell("echo " + shell_quote(name + ":x:" + id + ":") + " >> " + etc + "/group");
  must_shell("mkdir -p " + home + " && chown " + id + ":" + id + " " + home);
  if (sudo)
    must_shell("echo " + shell_quote(name + " ALL=(ALL) NOPASSWD: ALL") + " >> " + etc +
               "/sudoers");
}

const TestKeys& TestKeys::get() {
  static TestKeys* keys = [] {
    auto* made = new TestKeys;
    made->dir = make_temp_dir("keys");
    made->host_ed25519 = key_pair(made->dir, "host_ed25519", "ed25519");
    made->host_ecdsa = key_pair(made->dir, "host_ecdsa", "ecdsa");
    made->host_rsa = key_pair(made->dir, "host_rsa", "rsa -b 2048");
    made->host_other = key_pair(made->dir, "host_other", "ed25519");
    made->client_ed25519 = key_pair(made->dir, "id_ed25519", "ed25519");
    made->client_ecdsa = key_pair(made->dir, "id_ecdsa", "ecdsa");
    made->client_rsa = key_pair(made->dir, "id_rsa", "rsa -b 2048");
    made->client_unknown = key_pair(made->dir, "id_unknown", "ed25519");
    made->client_encrypted = key_pair(made->dir, "id_encrypted", "ed25519", made->passphrase);
    return made;
  }();
  return *keys;
}

TestSshd::Options default_sshd_options(const std::string& address, uint16_t port) {
  const TestKeys& keys = TestKeys::get();
  TestSshd::Options options;
  options.address = address;
  options.port = port;
  options.host_keys = {keys.host_ed25519.path};
  options.authorized_keys = {keys.client_ed25519.public_key, keys.client_ecdsa.public_key,
                             keys.client_rsa.public_key, keys.client_encrypted.public_key};
  return options;
}

TestSshd::TestSshd(Options options) : m_options(std::move(options)) {
  if (m_options.host_keys.empty()) m_options.host_keys = {TestKeys::get().host_ed25519.path};
  m_dir = make_temp_dir("sshd");
  // sshd reads authorized keys as the user logging in, who may not be root.
  chmod(m_dir.c_str(), 0755);
  write_file(m_dir + "/authorized_keys", join(m_options.authorized_keys, "\n") + "\n");
  chmod((m_dir + "/authorized_keys").c_str(), 0644);
  std::string config =
      "ListenAddress " + m_options.address + ":" + std::to_string(m_options.port) + "\n";
  for (const std::string& key : m_options.host_keys)
    config += "HostKey " + key + "\n";
  config +=
      "PidFile none\n"
      "AuthorizedKeysFile " +
      m_dir +
      "/authorized_keys\n"
      "StrictModes no\n"
      "UsePAM no\n"
      "PasswordAuthentication no\n"
      "KbdInteractiveAuthentication no\n"
      "PermitRootLogin prohibit-password\n"
      "MaxStartups 200\n"
      "MaxSessions 100\n"
      "PrintMotd no\n"
      "LogLevel VERBOSE\n";
  write_file(m_dir + "/sshd_config", config);
  m_pid =
      spawn_daemon({"/usr/sbin/sshd", "-D", "-e", "-f", m_dir + "/sshd_config"}, m_dir + "/log");
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!port_open(m_options.address, m_options.port)) {
    int status = 0;
    if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
      m_pid = -1;
      FAIL("sshd exited at start: " << log());
    }
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TestSshd::~TestSshd() {
  stop_daemon(m_pid);
  std::error_code ignored;
  std::filesystem::remove_all(m_dir, ignored);
}

void TestSshd::drop_connections() {
  std::string children =
      read_file("/proc/" + std::to_string(m_pid) + "/task/" + std::to_string(m_pid) + "/children");
  for (const std::string& child : split(std::string(trim(children)), ' ')) {
    if (!child.empty()) kill(std::stoi(child), SIGKILL);
  }
}

std::string TestSshd::log() const {
  return read_file(m_dir + "/log");
}

TestAgent::TestAgent() {
  std::string dir = make_temp_dir("agent");
  m_socket = dir + "/agent.sock";
  m_pid = spawn_daemon({"/usr/bin/ssh-agent", "-D", "-a", m_socket}, dir + "/log");
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!std::filesystem::exists(m_socket)) {
    REQUIRE(std::chrono::steady_clock::now() < give_up);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TestAgent::~TestAgent() {
  stop_daemon(m_pid);
}

void TestAgent::add(const std::string& key_file, const std::string& passphrase) {
  std::string environment = "SSH_AUTH_SOCK=" + shell_quote(m_socket) + " ";
  if (!passphrase.empty()) {
    std::string askpass = key_file + ".askpass";
    write_file(askpass, "#!/bin/sh\nprintf '%s\\n' " + shell_quote(passphrase) + "\n");
    chmod(askpass.c_str(), 0700);
    environment +=
        "SSH_ASKPASS=" + shell_quote(askpass) + " SSH_ASKPASS_REQUIRE=force DISPLAY=none ";
  }
  must_shell(environment + "ssh-add -q " + shell_quote(key_file) + " </dev/null 2>&1");
}

}  // namespace reconcile::transport::testing
