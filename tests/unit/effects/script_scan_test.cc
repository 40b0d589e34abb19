#include "cairn/effects/script_scan.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "support/test_support.h"

namespace cairn::effects {
namespace {

// One line per action, so a mismatch shows exactly which action differs.
std::vector<std::string> Render(const ScriptActions& a) {
  std::vector<std::string> out;
  for (const auto& x : a.alternatives) {
    std::string s = fmt::format("alternative {} {} {} {}", x.link, x.name, x.path, x.priority);
    for (const auto& sl : x.slaves)
      s += fmt::format(" --slave {} {} {}", sl.link, sl.name, sl.path);
    out.push_back(s);
  }
  for (const auto& x : a.accounts) {
    const char* kind = x.kind == AccountAction::Kind::kUser    ? "user"
                       : x.kind == AccountAction::Kind::kGroup ? "group"
                                                               : "member";
    out.push_back(fmt::format(
        "account {} {} name={} group={} system={} create_group={} uid={} gid={} home={} "
        "create_home={} shell={} gecos={} extra=[{}]",
        x.tool, kind, x.name, x.group, x.system, x.create_group,
        x.uid ? std::to_string(*x.uid) : "-", x.gid ? std::to_string(*x.gid) : "-", x.home,
        x.create_home, x.shell, x.gecos, fmt::join(x.extra_groups, ",")));
  }
  for (const auto& x : a.units)
    out.push_back(fmt::format("unit {}{} {} {}", x.tool, x.user ? " --user" : "", x.verb,
                              fmt::join(x.units, " ")));
  for (const auto& x : a.maintscript_helper)
    out.push_back(fmt::format("maintscript {} {}", x.command, fmt::join(x.args, " ")));
  for (const auto& x : a.diversions)
    out.push_back(fmt::format("divert {} {} to={} package={} local={} rename={}",
                              x.add ? "add" : "remove", x.file, x.divert_to, x.package, x.local,
                              x.rename));
  for (const auto& x : a.stat_overrides)
    out.push_back(fmt::format("statoverride {} {} {} {:o} {} update={}", x.add ? "add" : "remove",
                              x.user, x.group, x.mode, x.path, x.update));
  for (const auto& x : a.triggers) out.push_back("trigger " + x);
  for (const auto& x : a.debconf)
    out.push_back(fmt::format("debconf {} {}", x.command, fmt::join(x.args, "|")));
  for (const auto& x : a.tools)
    out.push_back(fmt::format("tool {} [{}]", x.tool, fmt::join(x.args, "|")));
  if (!a.unrecognised.empty())
    out.push_back(fmt::format("unrecognised {}", fmt::join(a.unrecognised, ", ")));
  return out;
}

// Real bookworm postinst scripts (apt-get download; dpkg-deb -e).
ScriptActions ScanReal(const std::string& package) {
  std::ifstream in(cairn::testing::TestData() / "deb/scripts" / (package + ".postinst"));
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ScanMaintainerScript(package, "postinst", ss.str());
}

using Lines = std::vector<std::string>;

TEST_CASE("mawk postinst: update-alternatives with continued --slave lines", "[effects][deb]") {
  ScriptActions a = ScanReal("mawk");
  CHECK(Render(a) ==
        Lines{"alternative /usr/bin/awk awk /usr/bin/mawk 5"
              " --slave /usr/share/man/man1/awk.1.gz awk.1.gz /usr/share/man/man1/mawk.1.gz"
              " --slave /usr/bin/nawk nawk /usr/bin/mawk"
              " --slave /usr/share/man/man1/nawk.1.gz nawk.1.gz /usr/share/man/man1/mawk.1.gz"});
  REQUIRE(a.alternatives.size() == 1);
  CHECK(a.alternatives[0] ==
        AlternativeInstall{
            "/usr/bin/awk",
            "awk",
            "/usr/bin/mawk",
            5,
            {{"/usr/share/man/man1/awk.1.gz", "awk.1.gz", "/usr/share/man/man1/mawk.1.gz"},
             {"/usr/bin/nawk", "nawk", "/usr/bin/mawk"},
             {"/usr/share/man/man1/nawk.1.gz", "nawk.1.gz", "/usr/share/man/man1/mawk.1.gz"}}});
  CHECK(SkippedCommandsLine(a).empty());
}

TEST_CASE("util-linux postinst: a continuation inside a slave and dh_installsystemd blocks",
          "[effects][deb]") {
  CHECK(Render(ScanReal("util-linux")) ==
        Lines{"alternative /usr/bin/pager pager /bin/more 50"
              " --slave /usr/share/man/man1/pager.1.gz pager.1.gz /usr/share/man/man1/more.1.gz",
              "unit deb-systemd-helper unmask fstrim.timer",
              "unit deb-systemd-helper enable fstrim.timer",
              "unit deb-systemd-helper update-state fstrim.timer"});
}

TEST_CASE("apt postinst: adduser --system and dpkg-maintscript-helper", "[effects][deb]") {
  ScriptActions a = ScanReal("apt");
  CHECK(Render(a) ==
        Lines{"account adduser user name=_apt group= system=true create_group=false uid=- "
              "gid=- home=/nonexistent create_home=false shell= gecos= extra=[]",
              "unit deb-systemd-helper unmask apt-daily-upgrade.timer",
              "unit deb-systemd-helper enable apt-daily-upgrade.timer",
              "unit deb-systemd-helper update-state apt-daily-upgrade.timer",
              "unit deb-systemd-helper unmask apt-daily.timer",
              "unit deb-systemd-helper enable apt-daily.timer",
              "unit deb-systemd-helper update-state apt-daily.timer",
              "maintscript rm_conffile /etc/apt/apt.conf.d/20changelog 1.2.4~",
              "maintscript rm_conffile /etc/cron.daily/apt 1.2.10~",
              "maintscript rm_conffile /etc/kernel/postinst.d/apt-auto-removal 2.4.5~",
              "unrecognised rm"});
  CHECK(SkippedCommandsLine(a) == "skipped: apt postinst: rm");
}

TEST_CASE("dbus postinst: literal variables, functions and runtime-only commands",
          "[effects][deb]") {
  // $MESSAGEUSER and $LAUNCHER are assigned once, so the statoverride is
  // data; dbus-send, invoke-rc.d, deb-systemd-invoke and systemctl
  // daemon-reload only act on a running system.
  ScriptActions a = ScanReal("dbus");
  CHECK(Render(a) == Lines{"statoverride add root messagebus 4754 "
                           "/usr/lib/dbus-1.0/dbus-daemon-launch-helper update=true",
                           "unrecognised touch, /usr/share/update-notifier/notify-reboot-required, "
                           "update-rc.d"});
  REQUIRE(a.stat_overrides.size() == 1);
  CHECK(a.stat_overrides[0].mode == 04754);
  CHECK(SkippedCommandsLine(a) ==
        "skipped: dbus postinst: touch, /usr/share/update-notifier/notify-reboot-required, "
        "update-rc.d");
}

TEST_CASE("passwd postinst: case labels, a here-document in a subshell, tools", "[effects][deb]") {
  CHECK(Render(ScanReal("passwd")) ==
        Lines{"account groupadd group name=shadow group= system=false create_group=false "
              "uid=- gid=42 home= create_home=false shell= gecos= extra=[]",
              "maintscript rm_conffile /etc/cron.daily/passwd 1:4.7-2~", "tool shadowconfig [on]",
              "tool systemd-tmpfiles [--create|passwd.conf]"});
}

TEST_CASE("systemd postinst: systemctl enable with ${DPKG_ROOT:+...}, for/case, sysusers",
          "[effects][deb]") {
  ScriptActions a = ScanReal("systemd");
  CHECK(Render(a) ==
        Lines{"unit systemctl enable getty@tty1.service", "unit systemctl enable remote-fs.target",
              "unit systemctl enable systemd-pstore.service",
              "maintscript rm_conffile /etc/dhcp/dhclient-exit-hooks.d/timesyncd 245.4-2~",
              "maintscript rm_conffile /etc/systemd/timesyncd.conf 245.4-2~",
              "maintscript rm_conffile /etc/pam.d/systemd-user 247~rc2-3~",
              "maintscript rm_conffile /etc/systemd/resolved.conf 251.3-2~",
              "tool systemd-machine-id-setup []",
              "tool systemd-sysusers [basic.conf|systemd-journal.conf|systemd-network.conf]",
              "tool systemd-tmpfiles [--create|debian.conf|home.conf|journal-nocow.conf|"
              "legacy.conf|provision.conf|systemd-network.conf|systemd-nologin.conf|"
              "systemd-pstore.conf|systemd-tmp.conf|systemd.conf|tmp.conf|var.conf|x11.conf]",
              "unrecognised journalctl, mkdir, rm, rmdir"});
}

TEST_CASE("account commands of adduser, addgroup and shadow's tools", "[effects][deb]") {
  const char* script = R"sh(#!/bin/sh
set -e
adduser --system --group --home /var/lib/bar --shell /bin/false --gecos 'Bar daemon,,,' bar
adduser --system --ingroup nogroup --uid 120 --no-create-home --disabled-password baz
addgroup --system --quiet bargrp
adduser --group staffish
adduser --quiet bar audio
useradd -r -M -s /usr/sbin/nologin -d /var/lib/foo -c "Foo daemon" -G adm,audio foo
useradd --system --gid 130 --create-home qux
groupadd -r -g 131 foogrp
usermod -aG video,render bar
usermod -L bar
)sh";
  CHECK(Render(ScanMaintainerScript("x", "postinst", script)) ==
        Lines{"account adduser user name=bar group= system=true create_group=true uid=- gid=- "
              "home=/var/lib/bar create_home=true shell=/bin/false gecos=Bar daemon,,, extra=[]",
              "account adduser user name=baz group=nogroup system=true create_group=false "
              "uid=120 gid=- home= create_home=false shell= gecos= extra=[]",
              "account addgroup group name=bargrp group= system=true create_group=false uid=- "
              "gid=- home= create_home=false shell= gecos= extra=[]",
              "account adduser group name=staffish group= system=false create_group=false "
              "uid=- gid=- home= create_home=false shell= gecos= extra=[]",
              "account adduser member name=bar group=audio system=false create_group=false "
              "uid=- gid=- home= create_home=false shell= gecos= extra=[]",
              "account useradd user name=foo group= system=true create_group=true uid=- gid=- "
              "home=/var/lib/foo create_home=false shell=/usr/sbin/nologin gecos=Foo daemon "
              "extra=[adm,audio]",
              "account useradd user name=qux group= system=true create_group=false uid=- "
              "gid=130 home= create_home=true shell= gecos= extra=[]",
              "account groupadd group name=foogrp group= system=true create_group=false uid=- "
              "gid=131 home= create_home=false shell= gecos= extra=[]",
              "account usermod member name=bar group=video system=false create_group=false "
              "uid=- gid=- home= create_home=false shell= gecos= extra=[]",
              "account usermod member name=bar group=render system=false create_group=false "
              "uid=- gid=- home= create_home=false shell= gecos= extra=[]",
              "unrecognised usermod"});
}

TEST_CASE("diversions, stat overrides, triggers, debconf and cache tools", "[effects][deb]") {
  const char* script = R"sh(#!/bin/sh
set -e
. /usr/share/debconf/confmodule
db_version 2.0
db_input high foo/question || true
db_go
db_get foo/question
dpkg-divert --add --rename --divert /usr/bin/foo.real --package foo /usr/bin/foo
dpkg-divert --package foo --no-rename --remove /etc/foo.conf
dpkg-divert --local --divert /etc/bar.orig /etc/bar
if [ "$(dpkg-divert --listpackage /bin/sh)" = dash ]; then :; fi
dpkg-statoverride --quiet --update --add root crontab 2755 /usr/bin/crontab
dpkg-statoverride --remove /usr/bin/old
dpkg-trigger --no-await update-initramfs
dpkg-trigger /usr/share/fonts
ldconfig
depmod -a 6.1.0-18-amd64
update-initramfs -u -k all
update-ca-certificates --fresh
systemctl --user --global enable pipewire.socket pipewire-pulse.socket
deb-systemd-helper --user enable foo.service
deb-systemd-helper --quiet was-enabled foo.service
systemctl daemon-reload
systemctl mask --now bar.service
)sh";
  CHECK(Render(ScanMaintainerScript("x", "postinst", script)) ==
        Lines{"unit systemctl --user enable pipewire.socket pipewire-pulse.socket",
              "unit deb-systemd-helper --user enable foo.service",
              "unit systemctl mask bar.service",
              "divert add /usr/bin/foo to=/usr/bin/foo.real package=foo local=false "
              "rename=true",
              "divert remove /etc/foo.conf to= package=foo local=false rename=false",
              "divert add /etc/bar to=/etc/bar.orig package= local=true rename=false",
              "statoverride add root crontab 2755 /usr/bin/crontab update=true",
              "statoverride remove   0 /usr/bin/old update=false", "trigger update-initramfs",
              "trigger /usr/share/fonts", "debconf db_version 2.0",
              "debconf db_input high|foo/question", "debconf db_go ", "debconf db_get foo/question",
              "tool ldconfig []", "tool depmod [-a|6.1.0-18-amd64]",
              "tool update-initramfs [-u|-k|all]", "tool update-ca-certificates [--fresh]"});
}

TEST_CASE("shell constructs never leak words into the command list", "[effects][deb]") {
  const char* script = R"sh(#!/bin/sh
# rm -rf / in a comment is not a command
set -e
cleanup() {
	rm -f "$1"
}
function other {
	chmod 600 /etc/other
}
case "$1" in
    configure|\
    abort-upgrade)
        cat <<EOF >&2
mkdir this is text
EOF
        cat <<-'END'
	chown also text
	END
        ;;
    (remove) touch /x ;;
    *) ;;
esac
for f in /etc/a /etc/b; do
    cleanup "$f"
done
while read line; do install -m 644 "$line" /etc/x; done < /dev/null
if ! grep -q foo /etc/foo && [ -x /usr/bin/bar ]; then
    ln -s /a "/b c"; /usr/sbin/other-tool --flag `date +%s` || true
fi
VERSION=$(dpkg-query -W -f='${Version}' foo)
x="$(mkfifo /tmp/p)"
echo "done" | tee /etc/done.log >/dev/null
sed -i 's/a/b/' /etc/conf 2>&1
TARGET=/etc/once
mv /etc/old "$TARGET"
MODE=1
MODE=2
update-alternatives --install /usr/bin/x x /usr/bin/x$MODE 10
update-alternatives --install "$DPKG_ROOT/usr/bin/y" y /usr/bin/y1 20
)sh";
  ScriptActions a = ScanMaintainerScript("demo", "postinst", script);
  CHECK(Render(a) == Lines{"alternative /usr/bin/y y /usr/bin/y1 20",
                           "unrecognised rm, chmod, touch, install, ln, /usr/sbin/other-tool, "
                           "tee, sed, mv, update-alternatives"});
  CHECK(
      SkippedCommandsLine(a) ==
      "skipped: demo postinst: rm, chmod, touch, install, ln, /usr/sbin/other-tool, tee, sed, mv, "
      "update-alternatives");
}

TEST_CASE("an empty script or one with only builtins skips nothing", "[effects][deb]") {
  ScriptActions a = ScanMaintainerScript("p", "preinst", "#!/bin/sh\nset -e\nexit 0\n");
  CHECK(Render(a).empty());
  CHECK(a.package == "p");
  CHECK(a.script == "preinst");
  CHECK(SkippedCommandsLine(a).empty());
  CHECK(Render(ScanMaintainerScript("p", "postinst", "")).empty());
  // Unterminated quotes and substitutions end the scan quietly.
  CHECK(Render(ScanMaintainerScript("p", "postinst", "echo \"oops\nrm '")).empty());
  CHECK(Render(ScanMaintainerScript("p", "postinst", "x=$(foo\nrm -f y")).empty());
}

}  // namespace
}  // namespace cairn::effects
