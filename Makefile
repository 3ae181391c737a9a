# Thin wrapper around scripts/: `make install PREFIX=/usr DESTDIR=/tmp/stage`.
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
export PREFIX DESTDIR SYSCONFDIR

.PHONY: all build install install-nobuild uninstall purge check-units test-systemd

all: build

build:
	swift build -c release --static-swift-stdlib --product tokend
	swift build -c release --static-swift-stdlib --product tokenctl

install:
	scripts/install

# Install binaries that are already built (BIN_DIR=…, default: the release bin path).
install-nobuild:
	scripts/install --no-build

uninstall:
	scripts/uninstall

purge:
	scripts/uninstall --purge

check-units:
	scripts/check-units

test-systemd:
	swift test --filter TokendSystemdTests
